// Fastify configured like the agent: trustProxy with the same list, @fastify/rate-limit with a limit
// nothing reaches, and its logger writing to a file.
//
// Logging: Fastify's built-in request logging writes two lines per request ("incoming request" and
// "request completed"). The agent writes one, so by default this server uses Fastify's LogController
// hook to skip the first and write the second with the agent's fields. --default-request-log keeps
// Fastify's own two lines instead.
import Fastify, { LogController } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import pino from 'pino';
import { ready, serverArgs } from './args.js';

class OneLinePerRequest extends LogController {
  incomingRequest() {}

  requestCompleted(error, request, reply) {
    const line = { method: request.method, path: request.routeOptions.url, status: reply.statusCode, ms: reply.elapsedTime, ip: request.ip, peer: request.socket.remoteAddress, protocol: request.protocol };
    if (error) reply.log.error({ ...line, err: error }, 'request');
    else reply.log.info(line, 'request');
  }
}

const args = serverArgs();
const logger = args.logFile === null ? false : { level: args.logLevel, stream: pino.destination({ dest: args.logFile, sync: false }) };
const app = Fastify({
  trustProxy: args.trust,
  logger,
  ...(args.defaultRequestLog ? {} : { logController: new OneLinePerRequest() }),
});

if (args.rateLimit) await app.register(rateLimit, { max: 1_000_000_000, timeWindow: 60_000 });
app.get('/health/live', async () => ({ status: 'ok' }));

await app.listen({ host: args.host, port: args.port });
ready(app.server.address().port, () => app.close());
