// The command line as an operator meets it: dist/server.js with configuration problems, --print-config
// and --help. These need the lead's server build; without it they fail rather than pass silently.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../', import.meta.url));
const server = fileURLToPath(new URL('../../dist/server.js', import.meta.url));

// A clean environment, so ONE_MCP_* variables of whoever runs the tests cannot change the outcome.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ONE_MCP_')));

function cli(args, env = {}) {
  if (!existsSync(server)) {
    assert.unreachable(`${server} does not exist: build src/server.ts (npx tsc -p tsconfig.json) before running the CLI tests`);
  }
  // A process that started listening would never exit; the timeout turns that into a failure.
  const result = spawnSync(process.execPath, [server, ...args], { cwd: root, env: { ...baseEnv, ...env }, encoding: 'utf8', timeout: 10_000 });
  assert.is(result.signal, null, `the agent did not exit by itself: ${result.stderr}`);
  return result;
}

test('a bad configuration exits with code 2 and prints each problem on stderr, before listening', () => {
  const { status, stdout, stderr } = cli(['--port', '70000', '--frobnicate'], { ONE_MCP_LOG_LEVEL: 'loud' });
  assert.is(status, 2);
  assert.is(stdout, '');
  assert.equal(stderr.trimEnd().split('\n'), [
    '--frobnicate: unknown option (see --help)',
    '--port: must be an integer from 0 to 65535, got "70000"',
    'ONE_MCP_LOG_LEVEL: must be one of "debug", "info", "warn", "error", got "loud"',
  ]);
});

test('--print-config exits 0 and prints the settings as JSON', () => {
  const { status, stdout } = cli(['--print-config', '--port', '8080', '--config', 'examples/1mcp.json']);
  assert.is(status, 0);
  const printed = JSON.parse(stdout);
  assert.equal(printed.port, { value: 8080, source: 'flag', origin: '--port' });
  assert.equal(printed.host, { value: '127.0.0.1', source: 'file', origin: 'examples/1mcp.json#/host' });
  assert.is(printed['trustProxy.compiled'].value, 'trusting 127.0.0.0/8, ::1/128 (loopback)');
});

test('--help exits 0 and prints the usage', () => {
  const { status, stdout } = cli(['--help']);
  assert.is(status, 0);
  assert.ok(stdout.startsWith('Usage: 1mcp-agent [options]\n'));
  assert.ok(stdout.includes('ONE_MCP_TRUST_PROXY'));
});

test.run();
