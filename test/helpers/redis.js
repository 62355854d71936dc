// A real redis-server (the Debian package) for the suites that need one: a free loopback port, no
// persistence, a private temp dir. Stop it in a finally block; the exit hook in proxy.js kills whatever a
// crashed test file left behind.
import { connect } from 'node:net';
import { findExecutable, freePort, requireServer, startServer, tempDir } from './proxy.js';

/** Where redis-server is looked for; the bench's Redis part (bench/parts/redis.js) uses it too. */
export const REDIS_SERVER = { name: 'redis-server', paths: ['/usr/bin/redis-server', '/usr/local/bin/redis-server'], install: 'apt-get install redis-server' };
const SERVER = REDIS_SERVER;

/** Registers tests on `suite` only when redis-server is installed (see requireServer in proxy.js). */
export function requireRedis(suite) {
  return requireServer(suite, SERVER);
}

/** True once something on 127.0.0.1:`port` answers PING with PONG. */
function pong(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

async function launch(command, port) {
  const dir = await tempDir('redis');
  const server = await startServer({
    name: 'redis-server',
    command,
    args: ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
    port,
    dir,
  });
  const deadline = Date.now() + 5000;
  while (!(await pong(port))) {
    if (Date.now() > deadline) {
      const details = await server.describe();
      await server.stop();
      throw new Error(`redis-server on ${port} accepts connections but does not answer PING\n${details}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return server;
}

/**
 * Starts redis-server on a free loopback port. Returns { port, url, pid, stop(), kill(), restart(),
 * pause(), resume() }: kill() is SIGKILL (no goodbye to clients), restart() starts a fresh, empty server on
 * the same port, pause()/resume() freeze it (SIGSTOP/SIGCONT) so it accepts connections but answers nothing.
 */
export async function startRedis() {
  const command = findExecutable(SERVER.paths);
  if (command === null) throw new Error('redis-server is not installed (use requireRedis to skip)');
  const port = await freePort();
  let server = await launch(command, port);
  const signal = (name) => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(name);
  };
  const stop = async () => {
    // A frozen server would not see SIGTERM until thawed.
    signal('SIGCONT');
    await server.stop();
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    /** The redis-server process id (changes on restart()). */
    get pid() {
      return server.child.pid;
    },
    stop,
    async kill() {
      signal('SIGKILL');
      await server.stop();
    },
    async restart() {
      await stop();
      server = await launch(command, port);
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
  };
}
