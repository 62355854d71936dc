// The agent behind the REAL nginx, configured with the `location / { ... }` block of
// examples/nginx.conf taken verbatim (only the agent's port is changed). Clients connect to nginx from
// distinct loopback addresses (127.0.0.9, 127.0.0.10), so "the address nginx accepted" differs from
// nginx's own address (127.0.0.1, the agent's socket peer) and from any forged X-Forwarded-For.
import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { get, startAgent } from '../helpers/agent.js';
import { ROOT, block, example, freePort, render, requireServer, startServer, tempDir } from '../helpers/proxy.js';

const EXAMPLE_FILE = join('examples', 'nginx.conf');
const EXAMPLE = example('nginx.conf');
const LOCATION = block(EXAMPLE, /^\s*location\s+\/\s*\{\s*$/, /^\s*\}\s*$/, /\{\s*$/);
const AGENT_IN_EXAMPLE = '127.0.0.1:3050';

const nginx = suite('nginx in front of the agent');
const { path: NGINX, test } = requireServer(nginx, {
  name: 'nginx',
  paths: process.env.NGINX_BIN ? [process.env.NGINX_BIN] : ['/usr/sbin/nginx'],
  install: 'apt-get install nginx-light',
});

/** Temp paths for the modules this nginx has; a build without, say, uwsgi rejects uwsgi_temp_path. */
function tempPaths() {
  const built = NGINX === null ? '' : spawnSync(NGINX, ['-V'], { encoding: 'utf8' }).stderr;
  const lines = ['client_body_temp_path {{dir}}/client_body;', 'proxy_temp_path {{dir}}/proxy;'];
  for (const m of ['fastcgi', 'uwsgi', 'scgi']) {
    if (!built.includes(`--without-http_${m}_module`)) lines.push(`${m}_temp_path {{dir}}/${m};`);
  }
  return lines.join('\n    ');
}

// Everything nginx writes stays in the temp dir. As root, the master keeps root and the workers drop to
// nginx's compiled-in default user (nobody); they only need the log fds the master opened.
const TEMPLATE = `# Rendered by test/e2e/nginx.test.js from ${EXAMPLE_FILE}.
worker_processes 1;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log info;
events { worker_connections 64; }
http {
    ${tempPaths()}
    log_format e2e '$remote_addr $request_id xff="$proxy_add_x_forwarded_for" $status';
    access_log {{dir}}/access.log e2e;
    server {
        listen 127.0.0.1:{{port}};
        server_name mcp.example.com;
        # --- from ${EXAMPLE_FILE}, verbatim except the agent's port ---
        location / {
${LOCATION.replaceAll(AGENT_IN_EXAMPLE, '127.0.0.1:{{agentPort}}')}
        }
    }
}
`;

/**
 * Starts the agent (with `agentArgs`, diagnostics on, debug log so each line carries the forwarding
 * headers it received) and nginx in front of it; runs `fn`; always stops both and removes the temp dir.
 */
async function behindNginx(agentArgs, fn) {
  const agent = await startAgent(['--diagnostics', '--log-level', 'debug', ...agentArgs]);
  let dir;
  let proxy;
  try {
    dir = await tempDir('nginx');
    const port = await freePort();
    await writeFile(join(dir, 'nginx.conf'), render(TEMPLATE, { dir, port, agentPort: agent.port }));
    proxy = await startServer({
      name: 'nginx',
      command: NGINX,
      args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'],
      port,
      dir,
      errorLog: join(dir, 'error.log'),
      stopSignal: 'SIGQUIT', // graceful: finishes what is in flight, then exits
    });
    await fn({ agent, port, proxy });
  } catch (err) {
    if (proxy) console.error(`--- what nginx said while the failing test ran ---\n${await proxy.describe()}`);
    const exit = agent.child.exitCode ?? agent.child.signalCode ?? 'still running';
    const lines = agent.logs.slice(-6).map((l) => JSON.stringify(l)).join('\n');
    console.error(`--- the agent (${exit}) ---\nstderr: ${agent.stderr}\nlast log lines:\n${lines}`);
    throw err;
  } finally {
    if (proxy) await proxy.stop();
    else if (dir) await rm(dir, { recursive: true, force: true });
    await agent.stop();
  }
}

/** The server's access-log line for the request it forwarded with this id (second field). */
const accessLine = (proxy, id) => proxy.waitForLine('access.log', (line) => line.split(' ')[1] === id);

const requestLine = (agent, res) => agent.waitForLog((l) => l.msg === 'request' && l.reqId === res.headers['x-request-id']);

// What a hostile client sends: a made-up client address, scheme, host and request id.
const FORGED = {
  host: 'mcp.example.com',
  'x-forwarded-for': '6.6.6.6',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example',
  'x-request-id': 'forged-id',
};

test('the example sets every header the agent reads, and is a valid nginx config as a whole (nginx -t)', async () => {
  const set = Object.fromEntries([...LOCATION.matchAll(/^\s*proxy_set_header\s+(\S+)\s+(.+?);/gm)].map((m) => [m[1].toLowerCase(), m[2]]));
  assert.equal(set, {
    host: '$host',
    'x-forwarded-for': '$proxy_add_x_forwarded_for',
    'x-forwarded-proto': '$scheme',
    'x-forwarded-host': '$host',
    'x-request-id': '$request_id',
  });
  assert.match(LOCATION, `proxy_pass http://${AGENT_IN_EXAMPLE};`);

  const dir = await tempDir('nginx-t');
  try {
    const conf = join(dir, 'check.conf');
    const paths = tempPaths().replaceAll('{{dir}}', dir);
    await writeFile(conf, `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n    ${paths}\n    access_log off;\n    include ${join(ROOT, EXAMPLE_FILE)};\n}\n`);
    const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', conf], { encoding: 'utf8' });
    assert.is(check.status, 0, `nginx -t rejected ${EXAMPLE_FILE}:\n${check.stderr}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trust 127.0.0.1 (nginx): the client is the address nginx accepted, never what the client forged', async () => {
  await behindNginx(['--trust-proxy', '127.0.0.1'], async ({ agent, port, proxy }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: FORGED });
    assert.is(res.status, 200, res.body);
    assert.equal(res.json, {
      ip: '127.0.0.9',
      ips: ['127.0.0.9'],
      protocol: 'http', // nginx replaced the forged "https" with $scheme
      secure: false,
      host: 'mcp.example.com', // nginx replaced the forged X-Forwarded-Host with $host
      peer: '127.0.0.1',
    });

    // The request id is nginx's $request_id (not the client's), and it joins the two logs.
    const id = res.headers['x-request-id'];
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.match(await accessLine(proxy, id), /^127\.0\.0\.9 /);

    const line = await requestLine(agent, res);
    assert.is(line.reqId, id);
    assert.is(line.ip, '127.0.0.9');
    assert.is(line.peer, '127.0.0.1');
    assert.is(line.protocol, 'http');
    assert.is(line.status, 200);
    assert.is(line.path, '/debug/client');
    assert.is(line.peerTrusted, true);
    // nginx APPENDED the address it accepted to what the client sent; the walk stopped there.
    assert.equal(line.forwarded, { 'x-forwarded-for': '6.6.6.6, 127.0.0.9', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'mcp.example.com' });
    assert.is(line.hops, 1);

    // Without a forged header the answer is the same, from another address.
    const plain = await get(port, '/debug/client', { localAddress: '127.0.0.10', headers: { host: 'mcp.example.com:8080' } });
    assert.equal(plain.json, { ip: '127.0.0.10', ips: ['127.0.0.10'], protocol: 'http', secure: false, host: 'mcp.example.com', peer: '127.0.0.1' });
    assert.is((await requestLine(agent, plain)).ip, '127.0.0.10');

    // Several X-Forwarded-For lines are joined into one list, and nginx's entry still ends it.
    const lines = await get(port, '/debug/client', { localAddress: '127.0.0.11', headers: { host: 'mcp.example.com', 'x-forwarded-for': ['6.6.6.6', '7.7.7.7'] } });
    assert.is(lines.json.ip, '127.0.0.11');
    assert.is((await requestLine(agent, lines)).forwarded['x-forwarded-for'], '6.6.6.6, 7.7.7.7, 127.0.0.11');
  });
});

test('trust loopback: the client is the address nginx accepted', async () => {
  await behindNginx(['--trust-proxy', 'loopback'], async ({ agent, port }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: { host: 'mcp.example.com' } });
    assert.equal(res.json, { ip: '127.0.0.9', ips: ['127.0.0.9'], protocol: 'http', secure: false, host: 'mcp.example.com', peer: '127.0.0.1' });
    const line = await requestLine(agent, res);
    assert.is(line.ip, '127.0.0.9');
    assert.is(line.peer, '127.0.0.1');
    assert.match(line.reqId, /^[0-9a-f]{32}$/, 'nginx is trusted, so its $request_id is used');
  });
});

test('trust loopback: a client that is itself on the loopback counts as a proxy, so its forged entry IS believed', async () => {
  // The reason examples/nginx.conf recommends --trust-proxy 127.0.0.1: `loopback` trusts all of
  // 127.0.0.0/8, including the test client at 127.0.0.9, so the walk goes one hop further left.
  await behindNginx(['--trust-proxy', 'loopback'], async ({ agent, port }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: FORGED });
    assert.equal(res.json, { ip: '6.6.6.6', ips: ['6.6.6.6', '127.0.0.9'], protocol: 'http', secure: false, host: 'mcp.example.com', peer: '127.0.0.1' });
    const line = await requestLine(agent, res);
    assert.is(line.ip, '6.6.6.6');
    assert.is(line.hops, 2);
  });
});

test('trust false: the client is nginx itself and every forwarding header is ignored', async () => {
  await behindNginx(['--trust-proxy', 'false'], async ({ agent, port, proxy }) => {
    const res = await get(port, '/debug/client', { localAddress: '127.0.0.9', headers: FORGED });
    assert.equal(res.json, {
      ip: '127.0.0.1',
      ips: [],
      protocol: 'http',
      secure: false,
      host: 'mcp.example.com', // the Host header nginx sent ($host), not X-Forwarded-Host
      peer: '127.0.0.1',
    });
    const line = await requestLine(agent, res);
    assert.is(line.ip, '127.0.0.1');
    assert.is(line.peer, '127.0.0.1');
    assert.is(line.peerTrusted, false);
    assert.is(line.hops, 0);
    // nginx still sent its id, but an untrusted peer does not get to name the request.
    const nginxId = (await proxy.waitForLine('access.log', (l) => l.startsWith('127.0.0.9 '))).split(' ')[1];
    assert.match(nginxId, /^[0-9a-f]{32}$/);
    assert.is.not(line.reqId, nginxId);
    assert.match(line.reqId, /^[0-9a-f]{8}-[0-9a-z]+$/);
  });
});

test('rate limiting: two clients behind the same nginx get separate buckets', async () => {
  await behindNginx(['--trust-proxy', '127.0.0.1', '--rate-limit-capacity', '2', '--rate-limit-refill', '0.1'], async ({ agent, port }) => {
    const from = (localAddress) => get(port, '/debug/client', { localAddress, headers: { host: 'mcp.example.com', 'x-forwarded-for': '6.6.6.6' } });

    const a1 = await from('127.0.0.9');
    const a2 = await from('127.0.0.9');
    const a3 = await from('127.0.0.9');
    assert.equal([a1.status, a2.status, a3.status], [200, 200, 429]);
    for (const r of [a1, a2, a3]) assert.is(r.headers['ratelimit-policy'], '"default";q=2;w=20');
    assert.is(a1.headers.ratelimit, '"default";r=1;t=10');
    assert.is(a2.headers.ratelimit, '"default";r=0;t=20');
    assert.is(a3.headers.ratelimit, '"default";r=0;t=20');
    assert.is(a3.headers['retry-after'], '10');
    assert.is(a3.json.error, 'rate_limited');
    assert.match(a3.json.message, '127.0.0.9');

    // 127.0.0.10 has its own, full bucket although the agent sees both through the one nginx socket
    // address (and a forged X-Forwarded-For does not move anyone into another bucket).
    const b1 = await from('127.0.0.10');
    const b2 = await from('127.0.0.10');
    assert.equal([b1.status, b2.status], [200, 200]);
    assert.is(b1.json.ip, '127.0.0.10');
    assert.is(b1.headers.ratelimit, '"default";r=1;t=10');
    assert.is(b2.headers.ratelimit, '"default";r=0;t=20');
    assert.is((await from('127.0.0.10')).status, 429);

    const limited = await requestLine(agent, a3);
    assert.is(limited.status, 429);
    assert.is(limited.ip, '127.0.0.9');
    assert.is(limited.peer, '127.0.0.1');
  });
});

nginx.run();
