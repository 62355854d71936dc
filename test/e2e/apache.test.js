// The agent behind the REAL Apache httpd, configured with the directives inside <VirtualHost> of
// examples/apache.conf taken verbatim (only the agent's port is changed). Clients connect to Apache
// from distinct loopback addresses (127.0.0.9, 127.0.0.10), so "the address Apache accepted" differs
// from Apache's own address (127.0.0.1, the agent's socket peer) and from any forged X-Forwarded-For.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from '../helpers/agent.js';
import { FORGED, IS_ROOT, ROOT, accessLine, behindProxy, block, example, render, requestLine, requireServer, startServer, tempDir } from '../helpers/proxy.js';

const EXAMPLE_FILE = join('examples', 'apache.conf');
const EXAMPLE = example('apache.conf');
const VHOST = block(EXAMPLE, /^\s*<VirtualHost\b/i, /^\s*<\/VirtualHost>/i);
const AGENT_IN_EXAMPLE = '127.0.0.1:3050';
const MODULES_DIR = '/usr/lib/apache2/modules';

const apache = suite('Apache in front of the agent');
const { path: APACHE, test } = requireServer(apache, {
  name: 'Apache httpd',
  paths: process.env.APACHE_BIN ? [process.env.APACHE_BIN] : ['/usr/sbin/apache2', '/usr/sbin/httpd'],
  install: 'apt-get install apache2',
});

/**
 * LoadModule lines for what the config uses. A module compiled into this httpd (Debian builds unixd in)
 * has no .so and needs no line; one that is neither is reported by httpd itself when it reads the config.
 */
function loadModules(names) {
  return names
    .filter((name) => existsSync(join(MODULES_DIR, `mod_${name}.so`)))
    .map((name) => `LoadModule ${name}_module ${MODULES_DIR}/mod_${name}.so`)
    .join('\n');
}
const MODULES = ['mpm_event', 'authz_core', 'unixd', 'proxy', 'proxy_http', 'headers', 'unique_id'];

/** httpd refuses to serve as root; its children switch to an ordinary account. */
function runAs() {
  if (!IS_ROOT) return '# not root: httpd runs as the current user';
  const passwd = spawnSync('getent', ['passwd', 'www-data'], { encoding: 'utf8' });
  return passwd.status === 0 ? 'User www-data\nGroup www-data' : 'User nobody\nGroup nogroup';
}

const TEMPLATE = `# Rendered by test/e2e/apache.test.js from ${EXAMPLE_FILE}.
ServerRoot "{{dir}}"
DefaultRuntimeDir "{{dir}}"
PidFile "{{dir}}/httpd.pid"
Mutex file:{{dir}} default
ErrorLog "{{dir}}/error.log"
LogLevel warn
${loadModules(MODULES)}
${runAs()}
ServerName localhost
Listen 127.0.0.1:{{port}}
StartServers 1
ServerLimit 1
ThreadLimit 16
ThreadsPerChild 16
MinSpareThreads 1
MaxSpareThreads 16
MaxRequestWorkers 16
LogFormat "%a %{UNIQUE_ID}e \\"%{X-Forwarded-For}i\\" %>s" e2e
CustomLog "{{dir}}/access.log" e2e
<VirtualHost 127.0.0.1:{{port}}>
    # --- from ${EXAMPLE_FILE}, verbatim except the agent's port ---
${VHOST.replaceAll(AGENT_IN_EXAMPLE, '127.0.0.1:{{agentPort}}')}
</VirtualHost>
`;

/** Runs `fn` with the agent (started with `agentArgs`) behind Apache configured from TEMPLATE. */
function behindApache(agentArgs, fn) {
  return behindProxy({
    name: 'Apache',
    agentArgs,
    startProxy: async ({ agent, dir, port }) => {
      await writeFile(join(dir, 'httpd.conf'), render(TEMPLATE, { dir, port, agentPort: agent.port }));
      const proxy = await startServer({
        name: 'apache',
        command: APACHE,
        args: ['-d', dir, '-f', join(dir, 'httpd.conf'), '-DFOREGROUND'],
        port,
        dir,
        errorLog: join(dir, 'error.log'),
        stopSignal: 'SIGTERM', // httpd stops its children, then exits
      });
      return { proxy };
    },
  }, fn);
}

test('the example has the directives the agent relies on, and is a valid httpd config as a whole (apache2 -t)', async () => {
  const directive = (name) => VHOST.split('\n').map((l) => l.trim()).filter((l) => l.split(/\s+/)[0].toLowerCase() === name.toLowerCase());
  assert.equal(directive('ProxyPreserveHost'), ['ProxyPreserveHost On']);
  assert.equal(directive('ProxyAddHeaders'), ['ProxyAddHeaders On']);
  assert.equal(directive('ProxyRequests'), ['ProxyRequests Off']);
  assert.equal(directive('ProxyPass'), [`ProxyPass        / http://${AGENT_IN_EXAMPLE}/ ttl=60`]);
  assert.equal(directive('ProxyPassReverse'), [`ProxyPassReverse / http://${AGENT_IN_EXAMPLE}/`]);
  assert.equal(directive('RequestHeader'), ['RequestHeader set X-Forwarded-Proto "expr=%{REQUEST_SCHEME}"', 'RequestHeader set X-Request-Id "%{UNIQUE_ID}e"']);

  const dir = await tempDir('apache-t');
  try {
    const conf = join(dir, 'check.conf');
    const text = [
      `ServerRoot "${dir}"`,
      `DefaultRuntimeDir "${dir}"`,
      `PidFile "${dir}/httpd.pid"`,
      `ErrorLog "${dir}/error.log"`,
      loadModules(MODULES),
      runAs(),
      'ServerName localhost',
      'Listen 127.0.0.1:80',
      `Include "${join(ROOT, EXAMPLE_FILE)}"`,
      '',
    ].join('\n');
    await writeFile(conf, text);
    const check = spawnSync(APACHE, ['-t', '-d', dir, '-f', conf], { encoding: 'utf8' });
    assert.is(check.status, 0, `apache2 -t rejected ${EXAMPLE_FILE}:\n${check.stderr}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trust 127.0.0.1 (Apache): the client is the address Apache accepted, never what the client forged', async () => {
  await behindApache(['--trust-proxy', '127.0.0.1'], async ({ agent, port, proxy }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: FORGED });
    assert.is(res.status, 200, res.body);
    assert.equal(res.json, {
      ip: '127.0.0.9',
      ips: ['127.0.0.9'],
      protocol: 'http', // RequestHeader set replaced the forged "https"
      secure: false,
      host: 'mcp.example.com', // Apache appended the real Host; the agent reads the rightmost item
      peer: '127.0.0.1',
    });

    const line = await requestLine(agent, res);
    assert.is(line.ip, '127.0.0.9');
    assert.is(line.peer, '127.0.0.1');
    assert.is(line.protocol, 'http');
    assert.is(line.status, 200);
    assert.is(line.peerTrusted, true);
    assert.is(line.hops, 1);
    // Apache APPENDS to both X-Forwarded-For and X-Forwarded-Host; X-Forwarded-Proto is replaced.
    assert.equal(line.forwarded, {
      'x-forwarded-for': '6.6.6.6, 127.0.0.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'evil.example, mcp.example.com',
    });

    // The request id is Apache's UNIQUE_ID (not the client's), and it joins the two logs.
    const id = res.headers['x-request-id'];
    assert.match(id, /^[A-Za-z0-9_-]{20,32}$/);
    assert.is(line.reqId, id);
    assert.match(await accessLine(proxy, id), /^127\.0\.0\.9 /);

    // Unlike nginx's $host, ProxyPreserveHost keeps the port the client named.
    const plain = await get(port, '/debug/client', { localAddress: '127.0.0.10', headers: { host: 'mcp.example.com:8080' } });
    assert.equal(plain.json, { ip: '127.0.0.10', ips: ['127.0.0.10'], protocol: 'http', secure: false, host: 'mcp.example.com:8080', peer: '127.0.0.1' });
    const plainLine = await requestLine(agent, plain);
    assert.is(plainLine.ip, '127.0.0.10');
    assert.equal(plainLine.forwarded, { 'x-forwarded-for': '127.0.0.10', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'mcp.example.com:8080' });

    // Several X-Forwarded-For lines are joined into one list, and Apache's entry still ends it.
    const lines = await get(port, '/debug/client', { localAddress: '127.0.0.11', headers: { host: 'mcp.example.com', 'x-forwarded-for': ['6.6.6.6', '7.7.7.7'] } });
    assert.is(lines.json.ip, '127.0.0.11');
    assert.is((await requestLine(agent, lines)).forwarded['x-forwarded-for'], '6.6.6.6, 7.7.7.7, 127.0.0.11');
  });
});

test('trust loopback: the client is the address Apache accepted', async () => {
  await behindApache(['--trust-proxy', 'loopback'], async ({ agent, port }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: { host: 'mcp.example.com' } });
    assert.equal(res.json, { ip: '127.0.0.9', ips: ['127.0.0.9'], protocol: 'http', secure: false, host: 'mcp.example.com', peer: '127.0.0.1' });
    const line = await requestLine(agent, res);
    assert.is(line.ip, '127.0.0.9');
    assert.is(line.peer, '127.0.0.1');
  });
});

test('trust loopback: a client that is itself on the loopback counts as a proxy, so its forged entry IS believed', async () => {
  // Why examples/apache.conf recommends --trust-proxy 127.0.0.1 (see the nginx suite for the same).
  await behindApache(['--trust-proxy', 'loopback'], async ({ port }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: FORGED });
    assert.equal(res.json, { ip: '6.6.6.6', ips: ['6.6.6.6', '127.0.0.9'], protocol: 'http', secure: false, host: 'mcp.example.com', peer: '127.0.0.1' });
  });
});

test('trust false: the client is Apache itself and every forwarding header is ignored', async () => {
  await behindApache(['--trust-proxy', 'false'], async ({ agent, port, proxy }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: FORGED });
    assert.equal(res.json, {
      ip: '127.0.0.1',
      ips: [],
      protocol: 'http',
      secure: false,
      host: 'mcp.example.com', // the Host header Apache preserved, not X-Forwarded-Host
      peer: '127.0.0.1',
    });
    const line = await requestLine(agent, res);
    assert.is(line.ip, '127.0.0.1');
    assert.is(line.peerTrusted, false);
    assert.is(line.hops, 0);
    // Apache still sent its UNIQUE_ID, but an untrusted peer does not get to name the request.
    const apacheId = (await proxy.waitForLine('access.log', (l) => l.startsWith('127.0.0.9 '))).split(' ')[1];
    assert.match(apacheId, /^[A-Za-z0-9_-]{20,32}$/);
    assert.is.not(line.reqId, apacheId);
    assert.match(line.reqId, /^[0-9a-f]{8}-[0-9]+$/);
  });
});

test('rate limiting: two clients behind the same Apache get separate buckets', async () => {
  await behindApache(['--trust-proxy', '127.0.0.1', '--rate-limit-capacity', '2', '--rate-limit-refill', '0.1'], async ({ port }) => {
    const from = (localAddress) => get(port, '/debug/client', { localAddress, headers: { host: 'mcp.example.com', 'x-forwarded-for': '6.6.6.6' } });
    const a = [await from('127.0.0.9'), await from('127.0.0.9'), await from('127.0.0.9')];
    assert.equal(a.map((r) => r.status), [200, 200, 429]);
    assert.is(a[2].headers.ratelimit, '"default";r=0;t=20');
    assert.is(a[2].headers['retry-after'], '10');
    const b = await from('127.0.0.10');
    assert.is(b.status, 200);
    assert.is(b.json.ip, '127.0.0.10');
    assert.is(b.headers.ratelimit, '"default";r=1;t=10');
  });
});

apache.run();
