import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { routePath } from '../../dist/http/path.js';

test('spellings of one path normalise to it (RFC 3986 section 6)', () => {
  const cases = [
    ['/mcp', '/mcp'],
    ['/mcp?x=1', '/mcp'],
    ['/mcp#frag', '/mcp'],
    ['//mcp', '/mcp'],
    ['/./mcp', '/mcp'],
    ['/x/../mcp', '/mcp'],
    ['/../../mcp', '/mcp'],
    ['/%6dcp', '/mcp'],
    ['/%6Dcp/%7E', '/mcp/~'],
    ['/mcp/', '/mcp/'],
    ['/mcp/.', '/mcp/'],
    ['/mcp/x/..', '/mcp/'],
    ['/mcp%2F..', '/mcp%2F..'],
    ['/a%20b', '/a%20b'],
    ['/%zz', '/%zz'],
    ['http://example.com/mcp?q', '/mcp'],
    ['http://example.com', '/'],
    ['*', '/'],
    ['/health', '/health'],
    ['/MCP', '/MCP'],
    ['/.well-known/x', '/.well-known/x'],
    ['/..x', '/..x'],
  ];
  for (const [url, want] of cases) assert.is(routePath(url), want, url);
});

test('an already normal path is returned as is', () => {
  const url = '/mcp/tools/list';
  assert.ok(routePath(url) === url);
});

test.run();
