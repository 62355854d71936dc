// Every problem is one line naming where the bad value was written, and all of them are reported at once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError } from '../../dist/config/errors.js';
import { loadConfig } from '../../dist/config/load.js';

const dir = mkdtempSync(join(tmpdir(), '1mcp-config-errors-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name, content) {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function problemsOf(argv, env = {}) {
  try {
    loadConfig(argv, env);
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.is(err.message, err.problems.join('\n'));
    return err.problems;
  }
  assert.unreachable(`expected a ConfigError for ${JSON.stringify({ argv, env })}`);
}

const missing = join(dir, 'missing.json');
const trailingComma = file('trailing-comma.json', '{\n  "port": 1,\n    }');
const strayToken = file('stray-token.json', '{\n  "trustProxy": [\n    "loopback",\n  ]\n}');
const truncated = file('truncated.json', '{\n  "port": ');
const notObject = file('not-object.json', '[1, 2]');
const unknownKey = file('unknown-key.json', { logging: { level: 'info', color: true } });
const unknownTop = file('unknown-top.json', { prot: 1 });
const badTrustArray = file('bad-trust-array.json', { trustProxy: ['loopback', '10.0.0.0/33'] });
const badTrustString = file('bad-trust-string.json', { trustProxy: 'loopback, nonsense' });
const trustNotString = file('trust-not-string.json', { trustProxy: ['loopback', 5] });
const trustNegative = file('trust-negative.json', { trustProxy: -1 });
const badValues = file('bad-values.json', { port: '3050', rateLimit: { capacity: 0, exempt: ['/ok', 'health'] }, logging: null });

// [name, argv, env, label, reason]
const CASES = [
  ['missing file', ['--config', missing], {}, missing, 'cannot read the config file (ENOENT'],
  ['missing file named by ONE_MCP_CONFIG', [], { ONE_MCP_CONFIG: missing }, missing, 'cannot read the config file'],
  ['invalid JSON with a position from V8', ['--config', trailingComma], {}, trailingComma, 'invalid JSON at line 3, column 5: Expected double-quoted property name'],
  ['invalid JSON where V8 quotes the token instead', ['--config', strayToken], {}, strayToken, "invalid JSON at line 4, column 3: Unexpected token ']'"],
  ['truncated JSON', ['--config', truncated], {}, truncated, 'invalid JSON at line 2, column 11: Unexpected end of JSON input'],
  ['a file that is not an object', ['--config', notObject], {}, notObject, 'must be a JSON object, got [1,2]'],
  ['unknown nested key', ['--config', unknownKey], {}, `${unknownKey}#/logging/color`, 'unknown key "color"'],
  ['unknown top-level key', ['--config', unknownTop], {}, `${unknownTop}#/prot`, 'unknown key "prot"'],
  ['port out of range from a flag', ['--port', '70000'], {}, '--port', 'must be an integer from 0 to 65535, got "70000"'],
  ['port out of range from a variable', [], { ONE_MCP_PORT: '70000' }, 'ONE_MCP_PORT', 'must be an integer from 0 to 65535, got "70000"'],
  ['negative port', ['--port=-1'], {}, '--port', 'must be an integer from 0 to 65535, got "-1"'],
  ['non-integer port from a variable', [], { ONE_MCP_PORT: '12abc' }, 'ONE_MCP_PORT', 'must be an integer from 0 to 65535, got "12abc"'],
  ['fractional port', [], { ONE_MCP_PORT: '80.5' }, 'ONE_MCP_PORT', 'must be an integer from 0 to 65535, got "80.5"'],
  ['empty port', [], { ONE_MCP_PORT: '' }, 'ONE_MCP_PORT', 'must be an integer from 0 to 65535, got ""'],
  ['hex port', ['--port', '0x1f'], {}, '--port', 'got "0x1f"'],
  ['port with spaces', ['--port', ' 80'], {}, '--port', 'got " 80"'],
  ['port as a string in the file', ['--config', badValues], {}, `${badValues}#/port`, 'must be an integer from 0 to 65535, got "3050"'],
  ['capacity below 1 in the file', ['--config', badValues], {}, `${badValues}#/rateLimit/capacity`, 'must be an integer >= 1, got 0'],
  ['exempt path without a slash', ['--config', badValues], {}, `${badValues}#/rateLimit/exempt/1`, 'must be a path starting with "/", got "health"'],
  ['an object that is null', ['--config', badValues], {}, `${badValues}#/logging`, 'must be an object, got null'],
  ['refill of zero', [], { ONE_MCP_RATE_LIMIT_REFILL: '0' }, 'ONE_MCP_RATE_LIMIT_REFILL', 'must be a number > 0, got "0"'],
  ['ipv6 prefix of zero', ['--rate-limit-ipv6-prefix', '0'], {}, '--rate-limit-ipv6-prefix', 'must be an integer from 1 to 128'],
  ['exempt list item from a flag', ['--rate-limit-exempt', '/health,metrics'], {}, '--rate-limit-exempt', 'must be a path starting with "/", got "metrics"'],
  ['host that is not an address', ['--host', 'example.com'], {}, '--host', 'must be an IP address or "localhost", got "example.com"'],
  ['empty log file name', [], { ONE_MCP_LOG_FILE: '' }, 'ONE_MCP_LOG_FILE', 'must be a non-empty string or null, got ""'],
  ['unknown flag', ['--frobnicate'], {}, '--frobnicate', 'unknown option (see --help)'],
  ['unknown flag with a value', ['--frobnicate=1'], {}, '--frobnicate', 'unknown option'],
  ['negating a flag that is not boolean', ['--no-port'], {}, '--no-port', 'unknown option'],
  ['stray argument', ['serve'], {}, 'serve', 'unexpected argument (see --help)'],
  ['a word after a boolean flag is its (bad) value', ['--diagnostics', 'maybe'], {}, '--diagnostics', 'must be true or false, got "maybe"'],
  ['a JSON flag that does not parse', ['--rate-limit-rules', '[{"path":"/x",'], {}, '--rate-limit-rules', 'invalid JSON at the end: Expected double-quoted property name, got "[{\\"path\\":\\"/x\\","'],
  ['a JSON variable that does not parse', [], { ONE_MCP_RATE_LIMIT_RULES: '[{bad}]' }, 'ONE_MCP_RATE_LIMIT_RULES', 'invalid JSON at character 3: Expected property name or \'}\', got "[{bad}]"'],
  ['missing flag value at the end', ['--port'], {}, '--port', 'missing value'],
  ['missing flag value before another flag', ['--host', '--port', '1'], {}, '--host', 'missing value'],
  ['missing --config value', ['--config'], {}, '--config', 'missing value'],
  ['empty ONE_MCP_CONFIG', [], { ONE_MCP_CONFIG: '' }, 'ONE_MCP_CONFIG', 'missing value'],
  ['value given to a command', ['--print-config=yes'], {}, '--print-config', 'takes no value'],
  ['value given to a negated flag', ['--no-diagnostics=1'], {}, '--no-diagnostics', 'takes no value'],
  ['bad log level', ['--log-level', 'loud'], {}, '--log-level', 'must be one of "debug", "info", "warn", "error", got "loud"'],
  ['client ip header must be a header name', ['--client-ip-header', 'x real ip'], {}, '--client-ip-header', 'must be a header name'],
  ['client ip header from env', [], { ONE_MCP_CLIENT_IP_HEADER: 'x-real-ip:' }, 'ONE_MCP_CLIENT_IP_HEADER', 'got "x-real-ip:"'],
  ['log level is case-sensitive', [], { ONE_MCP_LOG_LEVEL: 'INFO' }, 'ONE_MCP_LOG_LEVEL', 'got "INFO"'],
  ['bad boolean from a variable', [], { ONE_MCP_DIAGNOSTICS: 'maybe' }, 'ONE_MCP_DIAGNOSTICS', 'must be true or false, got "maybe"'],
  ['bad boolean from a flag', ['--rate-limit=perhaps'], {}, '--rate-limit', 'must be true or false, got "perhaps"'],
  ['bad trust entry from a flag', ['--trust-proxy', 'loopback,nonsense'], {}, '--trust-proxy', '"nonsense" is not an IP address, CIDR or range name'],
  ['trust prefix 33', ['--trust-proxy', '10.0.0.0/33'], {}, '--trust-proxy', 'invalid prefix length 33 for IPv4 in "10.0.0.0/33" (0..32)'],
  ['non-contiguous netmask', [], { ONE_MCP_TRUST_PROXY: '10.0.0.0/255.0.255.0' }, 'ONE_MCP_TRUST_PROXY', 'netmask 255.0.255.0 is not contiguous'],
  ['empty trust list entry', ['--trust-proxy', 'loopback,,10.0.0.0/8'], {}, '--trust-proxy', 'empty entry in the list'],
  ['hop count combined with addresses', ['--trust-proxy', '1,loopback'], {}, '--trust-proxy', '"1" must stand alone'],
  ['bad trust entry in a file array', ['--config', badTrustArray], {}, `${badTrustArray}#/trustProxy/1`, 'invalid prefix length 33 for IPv4'],
  ['bad trust entry in a file string', ['--config', badTrustString], {}, `${badTrustString}#/trustProxy`, '"nonsense" is not an IP address'],
  ['trust array item that is not a string', ['--config', trustNotString], {}, `${trustNotString}#/trustProxy/1`, 'must be a string, got 5'],
  ['negative hop count in the file', ['--config', trustNegative], {}, `${trustNegative}#/trustProxy`, 'must be true or false, an integer >= 0, a string, or an array of strings, got -1'],
];

for (const [name, argv, env, label, reason] of CASES) {
  test(`${name}: reported at ${label.replace(dir, '$TMP')}`, () => {
    const problems = problemsOf(argv, env);
    const line = problems.find((p) => p.startsWith(`${label}: `));
    assert.ok(line, `no problem labelled ${label} in:\n${problems.join('\n')}`);
    assert.ok(line.includes(reason), `"${line}" does not contain "${reason}"`);
    assert.not.match(line, /\n/);
  });
}

test('issue 5 settings: rules, store, store-error mode and allow-list report where they were written', () => {
  const rules = file('rules.json', { rateLimit: { rules: [{ path: '/mcp', capacity: 5 }], store: { redis: {} }, allow: ['loopback', 'bogus'] } });
  assert.equal(problemsOf(['--config', rules]), [
    `${rules}#/rateLimit/rules/0: missing required key "refillPerSecond"`,
    `${rules}#/rateLimit/store/redis: missing required key "url"`,
    `${rules}#/rateLimit/allow/1: "bogus" is not an IP address, CIDR or range name`,
  ]);
  // A typo inside JSON typed on the command line is blamed on the flag, even when a file is loaded too.
  assert.equal(problemsOf(['--config', rules, '--rate-limit-rules', '[{"path":"/mcp","capacity":1,"refillPerSecond":1,"methd":"POST"}]', '--rate-limit-redis', 'redis://h/0', '--rate-limit-allow', '']), [
    '--rate-limit-rules (at /0/methd): unknown key "methd"',
  ]);
  assert.equal(problemsOf(['--rate-limit-redis', 'http://h', '--rate-limit-on-store-error', 'maybe']), [
    '--rate-limit-redis: must be a redis:// or rediss:// URL, got "http://h"',
    '--rate-limit-on-store-error: must be one of "open", "closed", got "maybe"',
  ]);
});

test('a file overridden by a flag is still checked in full', () => {
  // The flag replaces the bad port, but the unknown key is still an error in the file.
  const path = file('overridden.json', { port: 'x', extra: 1 });
  assert.equal(problemsOf(['--config', path, '--port', '1']), [`${path}#/extra: unknown key "extra"`]);
});

test('a "__proto__" key in the file is an unknown key and changes no prototype', () => {
  const path = file('proto.json', '{"__proto__": {"polluted": true}, "logging": {"__proto__": {"level": "debug"}}}');
  assert.equal(problemsOf(['--config', path]), [
    `${path}#/__proto__: unknown key "__proto__"`,
    `${path}#/logging/__proto__: unknown key "__proto__"`,
  ]);
  assert.is({}.polluted, undefined);
});

test('all problems from all sources are reported together, in one error', () => {
  const path = file('several.json', { logging: { level: 'loud' }, trustProxy: ['loopback', '10.0.0.0/33'] });
  const problems = problemsOf(
    ['--config', path, '--frobnicate', '--port', '70000', '--rate-limit-capacity'],
    { ONE_MCP_DIAGNOSTICS: 'maybe', ONE_MCP_NOPE: '1' },
  );
  assert.equal(problems, [
    '--frobnicate: unknown option (see --help)',
    '--rate-limit-capacity: missing value',
    '--port: must be an integer from 0 to 65535, got "70000"',
    `${path}#/logging/level: must be one of "debug", "info", "warn", "error", got "loud"`,
    'ONE_MCP_DIAGNOSTICS: must be true or false, got "maybe"',
    `${path}#/trustProxy/1: invalid prefix length 33 for IPv4 in "10.0.0.0/33" (0..32)`,
  ]);
});

test('an unreadable file does not hide the problems of the other sources', () => {
  const problems = problemsOf(['--config', missing, '--port', 'x']);
  assert.is(problems.length, 2);
  assert.ok(problems[0].startsWith(`${missing}: cannot read the config file`));
  assert.is(problems[1], '--port: must be an integer from 0 to 65535, got "x"');
});

test('long values are cut so each problem stays one short line', () => {
  const problems = problemsOf([], { ONE_MCP_HOST: 'h'.repeat(500) });
  assert.is(problems.length, 1);
  assert.ok(problems[0].length < 200, problems[0]);
  assert.ok(problems[0].endsWith('..."') || problems[0].endsWith('...'), problems[0]);
});

test('--print-config validates first: a bad configuration still throws', () => {
  assert.equal(problemsOf(['--print-config', '--port', '-5']), ['--port: must be an integer from 0 to 65535, got "-5"']);
});

test('--help answers even when the rest of the command line is wrong', () => {
  assert.is(loadConfig(['--frobnicate', '--help', '--port', 'x'], {}).action, 'help');
  assert.is(loadConfig(['--version', '--port'], {}).action, 'version');
});

test.run();
