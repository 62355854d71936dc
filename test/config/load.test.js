// Where each setting comes from: defaults, the file, ONE_MCP_* variables and flags, highest last.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../dist/config/load.js';
import { TRUST_ALL, TRUST_HOPS, TRUST_NONE, TRUST_SET } from '../../dist/trust/compile.js';

const dir = mkdtempSync(join(tmpdir(), '1mcp-config-load-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name, content) {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const run = (argv, env = {}) => {
  const result = loadConfig(argv, env);
  assert.is(result.action, 'run');
  return result;
};

test('with no sources every setting is its default', () => {
  const { config, origins, configFile, warnings, trust } = run([]);
  assert.equal(config, {
    host: '127.0.0.1',
    port: 3050,
    trustProxy: 'loopback',
    clientIpHeader: 'x-forwarded-for',
    logging: { level: 'info', file: null },
    rateLimit: {
      enabled: true,
      capacity: 100,
      refillPerSecond: 10,
      ipv6Prefix: 56,
      maxClients: 100000,
      allow: [],
      rules: [],
      store: 'memory',
      onStoreError: 'open',
      exempt: ['/health', '/health/live', '/health/ready'],
    },
    diagnostics: false,
  });
  assert.equal(Object.keys(origins), [
    'host', 'port', 'trustProxy', 'clientIpHeader', 'logging.level', 'logging.file', 'rateLimit.enabled', 'rateLimit.capacity',
    'rateLimit.refillPerSecond', 'rateLimit.ipv6Prefix', 'rateLimit.maxClients', 'rateLimit.allow', 'rateLimit.rules', 'rateLimit.store', 'rateLimit.onStoreError', 'rateLimit.exempt', 'diagnostics',
  ]);
  for (const origin of Object.values(origins)) assert.equal(origin, { source: 'default', label: 'default' });
  assert.is(configFile, null);
  assert.equal(warnings, []);
  assert.is(trust.kind, TRUST_SET);
  assert.is(trust.summary, 'trusting 127.0.0.0/8, ::1/128 (loopback)');
});

test('loaded defaults are fresh objects each time', () => {
  run([]).config.rateLimit.exempt.push('/mutated');
  assert.equal(run([]).config.rateLimit.exempt, ['/health', '/health/live', '/health/ready']);
});

// Each key is set by the file, then overridden by its variable, then by its flag.
const LAYERS = [
  { key: 'port', path: ['port'], pointer: '/port', flag: '--port', env: 'ONE_MCP_PORT', file: 4000, envText: '5000', flagText: '6000', values: [4000, 5000, 6000] },
  { key: 'logging.level', path: ['logging', 'level'], pointer: '/logging/level', flag: '--log-level', env: 'ONE_MCP_LOG_LEVEL', file: 'warn', envText: 'error', flagText: 'debug', values: ['warn', 'error', 'debug'] },
  { key: 'rateLimit.capacity', path: ['rateLimit', 'capacity'], pointer: '/rateLimit/capacity', flag: '--rate-limit-capacity', env: 'ONE_MCP_RATE_LIMIT_CAPACITY', file: 7, envText: '8', flagText: '9', values: [7, 8, 9] },
  { key: 'rateLimit.refillPerSecond', path: ['rateLimit', 'refillPerSecond'], pointer: '/rateLimit/refillPerSecond', flag: '--rate-limit-refill', env: 'ONE_MCP_RATE_LIMIT_REFILL', file: 0.5, envText: '2.5', flagText: '3', values: [0.5, 2.5, 3] },
  { key: 'diagnostics', path: ['diagnostics'], pointer: '/diagnostics', flag: '--diagnostics', env: 'ONE_MCP_DIAGNOSTICS', file: true, envText: 'off', flagText: 'yes', values: [true, false, true] },
  { key: 'rateLimit.exempt', path: ['rateLimit', 'exempt'], pointer: '/rateLimit/exempt', flag: '--rate-limit-exempt', env: 'ONE_MCP_RATE_LIMIT_EXEMPT', file: ['/a'], envText: '/b, /c', flagText: '/d', values: [['/a'], ['/b', '/c'], ['/d']] },
  { key: 'trustProxy', path: ['trustProxy'], pointer: '/trustProxy', flag: '--trust-proxy', env: 'ONE_MCP_TRUST_PROXY', file: ['10.0.0.0/8'], envText: '2', flagText: 'false', values: [['10.0.0.0/8'], '2', 'false'] },
];

const at = (config, path) => path.reduce((node, name) => node[name], config);
function nest(path, value) {
  return path.reduceRight((inner, name) => ({ [name]: inner }), value);
}

for (const row of LAYERS) {
  test(`${row.key}: a flag beats its variable, which beats the file, which beats the default`, () => {
    const path = file(`${row.key}.json`, nest(row.path, row.file));
    const env = { [row.env]: row.envText };
    const argv = [`${row.flag}=${row.flagText}`];

    const fromFile = run(['--config', path]);
    assert.equal(at(fromFile.config, row.path), row.values[0]);
    assert.equal(fromFile.origins[row.key], { source: 'file', label: `${path}#${row.pointer}` });

    const fromEnv = run(['--config', path], env);
    assert.equal(at(fromEnv.config, row.path), row.values[1]);
    assert.equal(fromEnv.origins[row.key], { source: 'env', label: row.env });

    const fromFlag = run(['--config', path, ...argv], env);
    assert.equal(at(fromFlag.config, row.path), row.values[2]);
    assert.equal(fromFlag.origins[row.key], { source: 'flag', label: row.flag });

    // The other keys keep their defaults.
    const others = Object.entries(fromFlag.origins).filter(([key]) => key !== row.key);
    for (const [, origin] of others) assert.is(origin.source, 'default');
  });
}

test('ONE_MCP_CONFIG names the file when --config is absent, and --config wins over it', () => {
  const viaEnv = file('via-env.json', { port: 4100 });
  const viaFlag = file('via-flag.json', { port: 4200 });
  const a = run([], { ONE_MCP_CONFIG: viaEnv });
  assert.is(a.config.port, 4100);
  assert.is(a.configFile, viaEnv);
  assert.equal(a.origins.port, { source: 'file', label: `${viaEnv}#/port` });
  const b = run(['--config', viaFlag], { ONE_MCP_CONFIG: viaEnv });
  assert.is(b.config.port, 4200);
  assert.is(b.configFile, viaFlag);
});

test('a relative --config path is resolved against the working directory', () => {
  const path = file('relative.json', {});
  assert.is(run(['--config', relative(process.cwd(), path)]).configFile, path);
});

test('the example file loads, every value it sets traced to it', () => {
  // Labels keep the path as it was given, relative here as an operator would type it.
  const example = relative(process.cwd(), fileURLToPath(new URL('../../examples/1mcp.json', import.meta.url)));
  const { config, origins } = run(['--config', example]);
  assert.is(config.port, 3050);
  assert.is('$schema' in config, false);
  assert.equal(origins.port, { source: 'file', label: `${example}#/port` });
  assert.equal(origins['rateLimit.refillPerSecond'], { source: 'file', label: `${example}#/rateLimit/refillPerSecond` });
  assert.equal(origins['rateLimit.maxClients'], { source: 'default', label: 'default' });
});

test('values in the file are kept beside flag values in the same object', () => {
  const path = file('partial.json', { rateLimit: { capacity: 5, exempt: [] } });
  const { config } = run(['--config', path, '--rate-limit-refill', '1']);
  assert.equal(config.rateLimit, { enabled: true, capacity: 5, refillPerSecond: 1, ipv6Prefix: 56, maxClients: 100000, allow: [], rules: [], store: 'memory', onStoreError: 'open', exempt: [] });
});

const FLAG_FORMS = [
  { argv: ['--port', '8080'], key: 'port', value: 8080 },
  { argv: ['--port=8080'], key: 'port', value: 8080 },
  { argv: ['--port', '0'], key: 'port', value: 0 },
  { argv: ['--host', '::'], key: 'host', value: '::' },
  { argv: ['--host=::1'], key: 'host', value: '::1' },
  { argv: ['--host', 'localhost'], key: 'host', value: 'localhost' },
  { argv: ['--host', '0.0.0.0'], key: 'host', value: '0.0.0.0' },
  { argv: ['--log-file', '/var/log/agent.log'], key: 'logging.file', value: '/var/log/agent.log' },
  { argv: ['--diagnostics'], key: 'diagnostics', value: true },
  { argv: ['--diagnostics', 'false'], key: 'diagnostics', value: false },
  { argv: ['--diagnostics', '--port', '1'], key: 'diagnostics', value: true },
  { argv: ['--diagnostics=OFF'], key: 'diagnostics', value: false },
  { argv: ['--no-diagnostics'], key: 'diagnostics', value: false },
  { argv: ['--no-rate-limit'], key: 'rateLimit.enabled', value: false },
  { argv: ['--rate-limit=no', '--rate-limit'], key: 'rateLimit.enabled', value: true },
  { argv: ['--port', '1', '--port', '2'], key: 'port', value: 2 },
  { argv: ['--rate-limit-exempt', ''], key: 'rateLimit.exempt', value: [] },
  { argv: ['--rate-limit-exempt', '/a,/b/c'], key: 'rateLimit.exempt', value: ['/a', '/b/c'] },
  { argv: ['--rate-limit-ipv6-prefix', '128'], key: 'rateLimit.ipv6Prefix', value: 128 },
];

for (const { argv, key, value } of FLAG_FORMS) {
  test(`${argv.join(' ')} sets ${key} to ${JSON.stringify(value)}`, () => {
    const { config } = run(argv);
    assert.equal(at(config, key.split('.')), value);
  });
}

const BOOLEAN_WORDS = [
  ['true', true], ['TRUE', true], ['1', true], ['yes', true], ['On', true],
  ['false', false], ['False', false], ['0', false], ['no', false], ['off', false],
];

for (const [text, value] of BOOLEAN_WORDS) {
  test(`ONE_MCP_RATE_LIMIT=${text} means ${value}`, () => {
    assert.is(run([], { ONE_MCP_RATE_LIMIT: text }).config.rateLimit.enabled, value);
  });
}

const TRUST_FORMS = [
  { name: '--trust-proxy 1 is one hop', argv: ['--trust-proxy', '1'], kind: TRUST_HOPS, hops: 1 },
  { name: 'ONE_MCP_TRUST_PROXY=3 is three hops', env: { ONE_MCP_TRUST_PROXY: '3' }, kind: TRUST_HOPS, hops: 3 },
  { name: '--trust-proxy false trusts nobody', argv: ['--trust-proxy', 'false'], kind: TRUST_NONE, hops: 0 },
  { name: '--trust-proxy true trusts every hop', argv: ['--trust-proxy=true'], kind: TRUST_ALL, hops: 0 },
  { name: 'a comma list from a variable is a set', env: { ONE_MCP_TRUST_PROXY: 'loopback, 10.0.0.0/8' }, kind: TRUST_SET, hops: 0, summary: 'trusting 127.0.0.0/8, ::1/128 (loopback), 10.0.0.0/8' },
  { name: 'a hop count in the file', file: { trustProxy: 2 }, kind: TRUST_HOPS, hops: 2 },
  { name: 'true in the file', file: { trustProxy: true }, kind: TRUST_ALL, hops: 0 },
  { name: 'an array in the file', file: { trustProxy: ['uniquelocal', '192.0.2.1'] }, kind: TRUST_SET, hops: 0 },
];

for (const form of TRUST_FORMS) {
  test(`trust: ${form.name}`, () => {
    const argv = form.file ? ['--config', file('trust.json', form.file)] : form.argv ?? [];
    const { trust } = run(argv, form.env);
    assert.is(trust.kind, form.kind);
    assert.is(trust.hops, form.hops);
    if (form.summary) assert.is(trust.summary, form.summary);
  });
}

test('unknown ONE_MCP_* variables are warnings, other variables are not looked at', () => {
  const { warnings, config } = run([], { ONE_MCP_PROT: '1', ONE_MCP_FOO: 'x', PORT: '1', ONE_MCP_PORT: '9' });
  assert.equal(warnings, ['ONE_MCP_FOO: unknown variable, ignored', 'ONE_MCP_PROT: unknown variable, ignored']);
  assert.is(config.port, 9);
});

test('variables that are present but undefined are ignored', () => {
  assert.is(run([], { ONE_MCP_PORT: undefined }).config.port, 3050);
});

test.run();
