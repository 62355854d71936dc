// The agent behind the REAL HAProxy, configured from examples/haproxy.cfg: its `frontend mcp` and
// `backend agent` sections verbatim, except the bind lines (a loopback test port) and the agent's port.
// The global and defaults sections are the test's own (HAProxy logs to its standard output here).
// Clients connect to HAProxy from distinct loopback addresses (127.0.0.9, 127.0.0.10, ...), so "the
// address HAProxy accepted" differs from HAProxy's own address (127.0.0.1, the agent's socket peer) and
// from any forged header.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from '../helpers/agent.js';
import { FORGED, ROOT, behindProxy, example, render, requestLine, requireServer, startServer } from '../helpers/proxy.js';

const EXAMPLE_FILE = join('examples', 'haproxy.cfg');
const EXAMPLE = example('haproxy.cfg');
const AGENT_IN_EXAMPLE = '127.0.0.1:3050';

/** The lines of the section that starts with `header` (a whole line), up to the next section. */
function section(text, header) {
  const lines = text.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no "${header}" section in ${EXAMPLE_FILE}`);
  let end = start + 1;
  while (end < lines.length && !/^(global|defaults|frontend|backend|listen)\b/.test(lines[end])) end++;
  return lines.slice(start, end).join('\n');
}

const FRONTEND = section(EXAMPLE, 'frontend mcp');
const BACKEND = section(EXAMPLE, 'backend agent');
/** The directives of a section without comments, each as one trimmed line. */
const directives = (text) =>
  text
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

const haproxy = suite('HAProxy in front of the agent');
const { path: HAPROXY, test } = requireServer(haproxy, {
  name: 'haproxy',
  paths: process.env.HAPROXY_BIN ? [process.env.HAPROXY_BIN] : ['/usr/sbin/haproxy'],
  install: 'apt-get install haproxy',
});

function template() {
  const frontend = FRONTEND.split('\n')
    .filter((line, i, all) => !/^\s*bind\s/.test(line) || all.findIndex((l) => /^\s*bind\s/.test(l)) === i)
    .map((line) => (/^\s*bind\s/.test(line) ? '    bind 127.0.0.1:{{port}}' : line))
    .join('\n');
  return `# Rendered by test/e2e/haproxy.test.js from ${EXAMPLE_FILE}.
global
    log stdout format raw local0 info

defaults
    mode http
    log global
    timeout connect 5s
    timeout client 10s
    timeout server 10s

# --- from ${EXAMPLE_FILE}, verbatim except the bind lines and the agent's port ---
${frontend}

${BACKEND.replaceAll(AGENT_IN_EXAMPLE, '127.0.0.1:{{agentPort}}')}
`;
}

function behindHaproxy(agentArgs, fn) {
  return behindProxy(
    {
      name: 'HAProxy',
      agentArgs,
      startProxy: async ({ agent, dir, port }) => {
        const conf = join(dir, 'haproxy.cfg');
        await writeFile(conf, render(template(), { port, agentPort: agent.port }));
        // -db: stay in the foreground, logging to our pipe.
        const proxy = await startServer({ name: 'haproxy', command: HAPROXY, args: ['-db', '-f', conf], port, dir });
        return { proxy };
      },
    },
    fn,
  );
}

/** HAProxy's log line for the request with this unique id (its second field), waiting for it. */
async function haproxyLine(proxy, id, ms = 2000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = proxy.output.split('\n').find((line) => line.split(' ')[1] === id);
    if (hit !== undefined) return hit;
    if (Date.now() > deadline) throw new Error(`HAProxy logged no line with id ${id} in ${ms} ms:\n${proxy.output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('the example sets every header the agent reads, and is a valid HAProxy config as a whole (haproxy -c)', () => {
  const front = directives(FRONTEND);
  for (const line of [
    'unique-id-format %[uuid()]',
    'http-request set-header X-Request-Id %[unique-id]',
    'http-request set-header X-Forwarded-Proto https if { ssl_fc }',
    'http-request set-header X-Forwarded-Proto http if !{ ssl_fc }',
    'http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    'default_backend agent',
  ]) {
    assert.ok(front.includes(line), `frontend mcp has "${line}"`);
  }
  assert.equal(directives(BACKEND), ['option forwardfor', `server agent1 ${AGENT_IN_EXAMPLE}`]);
  const check = spawnSync(HAPROXY, ['-c', '-f', join(ROOT, EXAMPLE_FILE)], { encoding: 'utf8' });
  assert.is(check.status, 0, `haproxy -c rejected ${EXAMPLE_FILE}:\n${check.stdout}${check.stderr}`);
  const complaints = `${check.stdout}${check.stderr}`.split('\n').filter((line) => /\[(WARNING|ALERT)\]/.test(line));
  assert.equal(complaints, [], `haproxy -c complained about ${EXAMPLE_FILE}`);
});

test('trust 127.0.0.1 (HAProxy): the client is the address HAProxy accepted, never what the client forged', async () => {
  await behindHaproxy(['--trust-proxy', '127.0.0.1'], async ({ agent, port, proxy }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: FORGED });
    assert.is(res.status, 200, res.body);
    assert.equal(res.json, {
      ip: '127.0.0.9',
      ips: ['127.0.0.9'],
      protocol: 'http', // HAProxy replaced the forged "https"
      secure: false,
      host: 'mcp.example.com', // HAProxy replaced the forged X-Forwarded-Host with the Host header
      peer: '127.0.0.1',
    });

    // The request id is HAProxy's unique id (not the client's), and it joins the two logs.
    const id = res.headers['x-request-id'];
    assert.match(id, UUID);
    assert.match(await haproxyLine(proxy, id), /^127\.0\.0\.9 \S+ 200 "GET \/debug\/client HTTP\/1\.1"$/);

    const line = await requestLine(agent, res);
    assert.is(line.reqId, id);
    assert.is(line.ip, '127.0.0.9');
    assert.is(line.peer, '127.0.0.1');
    assert.is(line.protocol, 'http');
    assert.is(line.peerTrusted, true);
    // HAProxy APPENDED a line with the address it accepted; Node joined the lines; the walk stopped there.
    assert.equal(line.forwarded, { 'x-forwarded-for': '6.6.6.6, 127.0.0.9', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'mcp.example.com' });
    assert.is(line.hops, 1);

    // A Host with a port is passed on as the client wrote it.
    const plain = await get(port, '/debug/client', { localAddress: '127.0.0.10', headers: { host: 'mcp.example.com:8443' } });
    assert.equal(plain.json, { ip: '127.0.0.10', ips: ['127.0.0.10'], protocol: 'http', secure: false, host: 'mcp.example.com:8443', peer: '127.0.0.1' });
  });
});

test('a trusted load balancer in front of HAProxy: the walk follows its entry to the client it names', async () => {
  // 127.0.0.9 plays the balancer: trusted, so the client it names is believed; 127.0.0.10 is not.
  await behindHaproxy(['--trust-proxy', '127.0.0.1, 127.0.0.9'], async ({ agent, port }) => {
    const viaBalancer = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: { host: 'mcp.example.com', 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(viaBalancer.json.ip, '198.51.100.7');
    assert.equal(viaBalancer.json.ips, ['198.51.100.7', '127.0.0.9']);
    const line = await requestLine(agent, viaBalancer);
    assert.is(line.ip, '198.51.100.7');
    assert.is(line.hops, 2);

    const direct = await get(port, '/debug/client', { localAddress: '127.0.0.10', headers: { host: 'mcp.example.com', 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(direct.json.ips, ['127.0.0.10']);
    assert.is((await requestLine(agent, direct)).ip, '127.0.0.10');
  });
});

test('trust false: the client is HAProxy itself, and HAProxy does not get to name the request', async () => {
  await behindHaproxy(['--trust-proxy', 'false'], async ({ agent, port, proxy }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: FORGED });
    assert.equal(res.json, { ip: '127.0.0.1', ips: [], protocol: 'http', secure: false, host: 'mcp.example.com', peer: '127.0.0.1' });
    const line = await requestLine(agent, res);
    assert.is(line.ip, '127.0.0.1');
    assert.is(line.peerTrusted, false);
    assert.match(line.reqId, /^[0-9a-f]{8}-[0-9]+$/);
    // HAProxy still sent its id (its log has the client's line), but the agent made its own.
    const logged = proxy.output.split('\n').find((l) => l.startsWith('127.0.0.9 '));
    assert.ok(logged !== undefined, `HAProxy logged the request:\n${proxy.output}`);
    assert.match(logged.split(' ')[1], UUID);
    assert.is.not(line.reqId, logged.split(' ')[1]);
  });
});

test('rate limiting: two clients behind the same HAProxy get separate buckets', async () => {
  await behindHaproxy(['--trust-proxy', '127.0.0.1', '--rate-limit-capacity', '2', '--rate-limit-refill', '0.1'], async ({ agent, port }) => {
    const from = (localAddress) => get(port, '/debug/client', { localAddress, headers: { host: 'mcp.example.com', 'x-forwarded-for': '6.6.6.6' } });
    const a = [await from('127.0.0.9'), await from('127.0.0.9'), await from('127.0.0.9')];
    assert.equal(
      a.map((r) => r.status),
      [200, 200, 429],
    );
    assert.match(a[2].json.message, '127.0.0.9');
    const b = await from('127.0.0.10');
    assert.is(b.status, 200);
    assert.is(b.headers.ratelimit, '"default";r=1;t=10');
    assert.is((await requestLine(agent, a[2])).status, 429);
  });
});

haproxy.run();
