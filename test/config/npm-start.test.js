// `npm start`, the README's first command, as an operator runs it: it serves the shipped example config,
// and a SIGTERM sent to npm (what a process manager or a container runtime sends) reaches the agent, which
// drains and exits, instead of leaving it running without a parent.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from '../helpers/agent.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ONE_MCP_')));

const refused = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

test('npm start serves examples/1mcp.json, and SIGTERM to npm stops the agent (exit 0, nothing left listening)', async () => {
  // Port 0 instead of the example's 3050, so a running copy on this machine does not get in the way.
  const npm = spawn('npm', ['start', '--silent', '--', '--port', '0'], { cwd: root, env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  npm.stdout.on('data', (d) => (stdout += d));
  npm.stderr.on('data', (d) => (stderr += d));
  const outputClosed = new Promise((resolve) => npm.stdout.once('close', resolve));
  const npmExit = new Promise((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
  let listening;
  try {
    for (let i = 0; i < 200 && !listening; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      listening = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((line) => line.msg === 'listening');
    }
    assert.ok(listening, `the agent logged "listening" within 10 s:\n${stdout}\n${stderr}`);
    assert.is(listening.host, '127.0.0.1');
    assert.is(listening.rateLimit, '"default";q=100;w=10', 'the example config was loaded');
    const res = await get(listening.port, '/health/live');
    assert.is(res.status, 200);

    npm.kill('SIGTERM');
    assert.equal(await npmExit, { code: 0, signal: null });
    // The agent held the same stdout; the pipe closes only when it is gone too.
    const closed = await Promise.race([outputClosed.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 5000))]);
    assert.ok(closed, `the agent outlived npm:\n${stdout}`);
    assert.ok(stdout.includes('"msg":"stopped"'), `the agent drained and logged "stopped":\n${stdout}`);
    assert.ok(await refused(listening.port), 'nothing listens on the port any more');
  } finally {
    // When this test fails, the agent may be the orphan it is about: stop it, and let go of its pipes.
    npm.kill('SIGKILL');
    if (listening?.pid) {
      try {
        process.kill(listening.pid, 'SIGKILL');
      } catch {
        // already gone: the expected case
      }
    }
    npm.stdout.destroy();
    npm.stderr.destroy();
  }
});

test.run();
