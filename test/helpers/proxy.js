// Shared plumbing for the end-to-end suites that put a REAL reverse proxy (nginx, Apache, ...) in
// front of the agent: a free loopback port, a private temp dir, rendering the proxy's config from a
// template (with blocks taken verbatim from examples/), starting the server in the foreground, waiting
// until it accepts connections, and always stopping it and removing the temp dir; plus the runner that
// puts the agent behind such a server (behindProxy) and what the suites look up in the two logs.
//
// Every server is started in its own process group, so stop() reaches its workers too, and an exit
// hook kills whatever a crashed test file left behind. All traffic stays on 127.0.0.0/8.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgent } from './agent.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const IN_CI = process.env.CI === 'true';
export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

/** A port nobody listens on right now: bind 127.0.0.1:0, read the port, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A fresh directory under the OS temp dir, readable by the proxy's unprivileged workers. */
export async function tempDir(name) {
  const dir = await mkdtemp(join(tmpdir(), `1mcp-e2e-${name}-`));
  await chmod(dir, 0o755);
  return dir;
}

/**
 * Replaces every `{{key}}` in `template` with `values[key]`. A placeholder without a value is an error
 * (a config with a hole in it would fail far from the cause), and so is a value nobody asked for.
 */
export function render(template, values) {
  const used = new Set();
  const text = template.replace(/\{\{(\w+)\}\}/g, (_, key) => {
    if (!Object.hasOwn(values, key)) throw new Error(`template placeholder {{${key}}} has no value`);
    used.add(key);
    return String(values[key]);
  });
  for (const key of Object.keys(values)) if (!used.has(key)) throw new Error(`value ${key} is not used by the template`);
  return text;
}

/** The text of a file under examples/. */
export function example(name) {
  return readFileSync(join(ROOT, 'examples', name), 'utf8');
}

/**
 * The lines strictly between the first line matching `open` and the line that closes it (`close`),
 * counting nested openers matching `nestOpen` so an inner block does not end the outer one. Used to lift a
 * block out of an example config verbatim.
 */
export function block(text, open, close, nestOpen = open) {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => open.test(line));
  if (start < 0) throw new Error(`no line matching ${open} in the example`);
  let depth = 1;
  for (let i = start + 1; i < lines.length; i++) {
    if (nestOpen.test(lines[i])) depth++;
    else if (close.test(lines[i]) && --depth === 0) return lines.slice(start + 1, i).join('\n');
  }
  throw new Error(`the block opened by ${open} is never closed`);
}

/** First of `paths` that is an executable file, or null. */
export function findExecutable(paths) {
  for (const path of paths) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  return null;
}

/**
 * Locates a server binary for a suite. Returns `{ path, test }` where `test(name, fn)` registers the
 * test on `suite` when the binary exists. When it does not, the absence is announced loudly and every
 * test is registered as skipped (the runner reports "N skipped"); in CI (CI=true) one extra test,
 * "<server> is installed", fails as well, because CI installs the server and a skip there would hide
 * a broken machine.
 */
export function requireServer(suite, { name, paths, install }) {
  const path = findExecutable(paths);
  if (path !== null) return { path, test: (title, fn) => suite(title, fn) };
  const banner = IN_CI
    ? `!!! FAILED: ${name} not installed (looked for ${paths.join(', ')}) and CI=true: CI must install it (${install})`
    : `!!! SKIPPED: ${name} not installed (looked for ${paths.join(', ')}; ${install}) — CI installs it`;
  const rule = '!'.repeat(Math.min(banner.length, 100));
  console.log(`\n${rule}\n${banner}\n${rule}\n`);
  if (IN_CI) {
    suite(`${name} is installed`, () => {
      throw new Error(banner);
    });
  }
  return { path: null, test: (title) => suite.skip(title) };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port` (no request is sent). */
export async function waitForPort(port, { timeoutMs = 10_000, failed = () => null } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = failed();
    if (why !== null) throw new Error(why);
    const ok = await new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing accepted connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Process groups started here and not yet reaped; killed when the test process exits, however it exits. */
const running = new Set();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function readOr(path, fallback) {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * Starts `command args` in the foreground (its own process group) and waits until 127.0.0.1:`port`
 * accepts connections. `dir` is the server's temp dir: stop() removes it. `errorLog` (a path) is
 * quoted when the server fails to start. Stop it in a finally block.
 */
export async function startServer({ name, command, args, port, dir, errorLog, stopSignal = 'SIGTERM' }) {
  const child = spawn(command, args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child.pid);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exit = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve((exit ??= { code, signal })));
    // Could not be started at all (ENOENT, EACCES): there will be no 'exit'.
    child.once('error', (err) => resolve((exit ??= { code: null, signal: null, error: err.message })));
  });

  const describe = async () => {
    const log = errorLog ? await readOr(errorLog, '(no error log)') : '';
    return `${name} output:\n${output}\n${name} error log:\n${log}`;
  };

  let stopped = null;
  const stop = () => {
    stopped ??= (async () => {
      if (exit === null) {
        child.kill(stopSignal);
        const late = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }, 5000);
        await exited;
        clearTimeout(late);
      }
      // Workers that outlived their master (they should not) go with the group.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the usual case: nothing left
      }
      running.delete(child.pid);
      if (process.env.KEEP_E2E_TMP !== '1') await rm(dir, { recursive: true, force: true });
      return exit;
    })();
    return stopped;
  };

  try {
    await waitForPort(port, {
      failed: () => (exit === null ? null : `${name} exited (${JSON.stringify(exit)}) before listening on ${port}`),
    });
  } catch (err) {
    const details = await describe();
    await stop();
    throw new Error(`${err.message}\n${details}`);
  }

  return {
    child,
    port,
    dir,
    exited,
    get output() {
      return output;
    },
    /** Text of a file in the server's temp dir ('' when it does not exist yet). */
    read: (file) => readOr(join(dir, file), ''),
    /**
     * The first line of `file` (in the temp dir) that satisfies `predicate`, waiting for it: servers
     * write their access log after the response has gone out, so the client can be there first.
     */
    async waitForLine(file, predicate, ms = 2000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const text = await readOr(join(dir, file), '');
        const hit = text.split('\n').find((line) => line !== '' && predicate(line));
        if (hit !== undefined) return hit;
        if (Date.now() > deadline) throw new Error(`${name} wrote no matching line to ${file} in ${ms} ms:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    describe,
    stop,
  };
}

/**
 * Starts the agent (with `agentArgs`, diagnostics on, debug log so each line carries the forwarding
 * headers it received), then the proxy in front of it with `startProxy({ agent, dir, port })`: `dir` is a
 * fresh temp dir for it and `port` a free loopback port for it to listen on; it resolves with
 * `{ proxy, ...more }`, `proxy` from startServer. Runs `fn({ agent, port, proxy, ...more })`. When
 * anything fails, prints what the proxy (`name`) and the agent said; always stops both and removes the
 * temp dir.
 */
export async function behindProxy({ name, agentArgs, startProxy }, fn) {
  const agent = await startAgent(['--diagnostics', '--log-level', 'debug', ...agentArgs]);
  let dir;
  let proxy;
  try {
    dir = await tempDir(name.toLowerCase());
    const port = await freePort();
    const { proxy: started, ...more } = await startProxy({ agent, dir, port });
    proxy = started;
    await fn({ agent, port, proxy, ...more });
  } catch (err) {
    if (proxy) console.error(`--- what ${name} said while the failing test ran ---\n${await proxy.describe()}`);
    const exit = agent.child.exitCode ?? agent.child.signalCode ?? 'still running';
    const lines = agent.logs.slice(-6).map((l) => JSON.stringify(l)).join('\n');
    console.error(`--- the agent (${exit}) ---\nstderr: ${agent.stderr}\nlast log lines:\n${lines}`);
    throw err;
  } finally {
    // Once started, the proxy's stop() removes the temp dir; before that, nobody else will.
    if (proxy) await proxy.stop();
    else if (dir) await rm(dir, { recursive: true, force: true });
    await agent.stop();
  }
}

/** The server's access-log line for the request it forwarded with this id (second field). */
export const accessLine = (proxy, id) => proxy.waitForLine('access.log', (line) => line.split(' ')[1] === id);

/** The agent's `request` log line for the response `res` (matched by the X-Request-Id it answered with). */
export const requestLine = (agent, res) => agent.waitForLog((l) => l.msg === 'request' && l.reqId === res.headers['x-request-id']);

// What a hostile client sends: a made-up client address, scheme, host and request id.
export const FORGED = {
  host: 'mcp.example.com',
  'x-forwarded-for': '6.6.6.6',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example',
  'x-request-id': 'forged-id',
};
