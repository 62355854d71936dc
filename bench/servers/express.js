// Express configured like the agent: `trust proxy` with the same list, express-rate-limit with a limit
// nothing reaches (IETF draft-8 headers, like the agent's), and pino-http writing one line per request
// to a file (pino-http's defaults: the line carries the serialized request and response).
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { ready, serverArgs } from './args.js';

const args = serverArgs();
const app = express();
app.set('trust proxy', args.trust);
app.set('x-powered-by', false);
if (args.logFile !== null) {
  app.use(pinoHttp({ logger: pino({ level: args.logLevel }, pino.destination({ dest: args.logFile, sync: false })) }));
}
if (args.rateLimit) {
  app.use(rateLimit({ windowMs: 60_000, limit: 1_000_000_000, standardHeaders: 'draft-8', legacyHeaders: false }));
}
app.get('/health/live', (req, res) => res.json({ status: 'ok' }));

const server = app.listen(args.port, args.host, () => ready(server.address().port, () => new Promise((r) => server.close(r))));
