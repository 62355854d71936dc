// --print-config, --help and --version: what the agent says about its own configuration.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../dist/config/load.js';
import { COMMANDS, OPTIONS } from '../../dist/config/options.js';

const dir = mkdtempSync(join(tmpdir(), '1mcp-config-print-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('--print-config prints every setting with its value and source, then the compiled trust', () => {
  const path = join(dir, 'print.json');
  writeFileSync(path, JSON.stringify({ logging: { level: 'warn' }, rateLimit: { exempt: ['/up'] } }));
  const result = loadConfig(['--config', path, '--print-config', '--port', '8080', '--trust-proxy', '1'], { ONE_MCP_HOST: '::' });
  assert.is(result.action, 'print');
  assert.ok(result.text.startsWith('{\n  "host": {\n    "value": "::",'), 'two-space indented JSON');
  const printed = JSON.parse(result.text);
  assert.equal(Object.keys(printed), [...OPTIONS.map((o) => o.key), 'trustProxy.compiled', 'clientIpHeader.active', 'rateLimit.allow.compiled']);
  assert.equal(printed.host, { value: '::', source: 'env', origin: 'ONE_MCP_HOST' });
  assert.equal(printed.port, { value: 8080, source: 'flag', origin: '--port' });
  assert.equal(printed.trustProxy, { value: '1', source: 'flag', origin: '--trust-proxy' });
  assert.equal(printed['logging.level'], { value: 'warn', source: 'file', origin: `${path}#/logging/level` });
  assert.equal(printed['logging.file'], { value: null, source: 'default' });
  assert.equal(printed['rateLimit.exempt'], { value: ['/up'], source: 'file', origin: `${path}#/rateLimit/exempt` });
  assert.equal(printed['rateLimit.maxClients'], { value: 100000, source: 'default' });
  assert.equal(printed['trustProxy.compiled'], { value: 'trusting the closest 1 hop, whatever their address' });
  assert.match(printed['clientIpHeader.active'].value, /^x-forwarded-for: a chain walked right to left/);
});

test('--print-config names the active client address header', () => {
  const forwarded = JSON.parse(loadConfig(['--print-config', '--client-ip-header', 'Forwarded'], {}).text);
  assert.equal(forwarded.clientIpHeader, { value: 'Forwarded', source: 'flag', origin: '--client-ip-header' });
  assert.match(forwarded['clientIpHeader.active'].value, /^forwarded \(RFC 7239\)/);
  const single = JSON.parse(loadConfig(['--print-config'], { ONE_MCP_CLIENT_IP_HEADER: 'cf-connecting-ip' }).text);
  assert.match(single['clientIpHeader.active'].value, /^cf-connecting-ip: one address, believed only when the socket peer is trusted/);
});

test('--print-config never shows a password, and "-" sends the log to stdout', () => {
  const printed = JSON.parse(loadConfig(['--print-config', '--rate-limit-redis', 'redis://user:s3cret@10.0.0.5:6379/0', '--log-file', '-'], {}).text);
  assert.equal(printed['rateLimit.store'].value, { redis: { url: 'redis://user:***@10.0.0.5:6379/0' } });
  assert.equal(printed['logging.file'], { value: null, source: 'flag', origin: '--log-file' });
});

test('--help lists every flag and its environment variable on one line, with its default', () => {
  const result = loadConfig(['--help'], {});
  assert.is(result.action, 'help');
  const lines = result.text.split('\n');
  assert.is(lines[0], 'Usage: 1mcp-agent [options]');
  for (const option of OPTIONS) {
    const index = lines.findIndex((line) => line.trimStart().startsWith(`${option.flag} `) || line.trimStart().startsWith(`${option.flag}[`));
    assert.ok(index > 0, `no line for ${option.flag}`);
    assert.ok(lines[index].endsWith(option.env), `${option.flag} line lacks ${option.env}: ${lines[index]}`);
    assert.ok(lines[index + 1].includes(option.schema.description), `${option.flag} lacks its description`);
    assert.match(lines[index + 1], /Default: .+\.$/);
  }
  for (const command of COMMANDS) for (const flag of command.flags) assert.ok(result.text.includes(flag), `no ${flag}`);
  assert.ok(result.text.includes('--config FILE'));
  assert.ok(result.text.includes('ONE_MCP_CONFIG'));
  assert.ok(result.text.includes('--no-rate-limit'));
  assert.ok(result.text.includes('--no-diagnostics'));
  assert.ok(result.text.includes('Default: 3050.'));
  assert.ok(result.text.includes('Default: /health,/health/live,/health/ready.'));
});

test('-h is --help', () => {
  assert.equal(loadConfig(['-h'], {}), loadConfig(['--help'], {}));
});

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(loadConfig(['--version'], {}), { action: 'version', text: version });
});

test.run();
