// The request path: resolve the client, limit it, route, and log the outcome when the response closes.
// Everything constant is prepared in createPipeline; the returned handler does the per-request work only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { requestProtocol } from '../forwarded/proto-host.js';
import { headerText, protoClaims, resolveWith } from '../forwarded/resolve.js';
import type { ClientIpSource } from '../forwarded/source.js';
import { last, walkChain } from '../forwarded/walk.js';
import type { RateLimiter } from '../limit/rate-limiter.js';
import { requestId } from '../log/request-id.js';
import type { CompiledTrust } from '../trust/compile.js';
import { errorBody, sendJson } from './respond.js';
import type { Routes } from './routes.js';

export interface PipelineOptions {
  trust: CompiledTrust;
  source: ClientIpSource;
  limiter: RateLimiter | null;
  routes: Routes;
  logger: Logger;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function createPipeline({ trust, source, limiter, routes, logger }: PipelineOptions) {
  const debug = logger.isLevelEnabled('debug');
  const logRequests = logger.isLevelEnabled('info');

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const peer = req.socket.remoteAddress;
    // Node reports no address once the socket is gone; there is nobody left to answer.
    if (peer === undefined) {
      req.destroy();
      return;
    }
    const headers = req.headers;
    const chain = headerText(headers[source.header]);
    const ip = walkChain(trust, peer, chain, source.mode);
    const peerTrusted = last.peerTrusted;
    const hops = last.reached;
    const encrypted = (req.socket as TLSSocket).encrypted === true;
    const protocol = requestProtocol(encrypted, peerTrusted, source.mode, protoClaims(source, headers, chain));
    const id = requestId(peerTrusted ? headerText(headers['x-request-id']) : undefined);
    const url = req.url ?? '/';
    const path = pathOf(url);
    res.setHeader('x-request-id', id);

    if (logRequests) {
      res.once('close', () => {
        const entry: Record<string, unknown> = {
          reqId: id,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 1000) / 1000,
          ip,
          peer,
          protocol,
        };
        if (!res.writableFinished) entry.aborted = true;
        if (debug) {
          entry.peerTrusted = peerTrusted;
          entry.hops = hops;
          entry.forwarded = {
            [source.header]: headers[source.header],
            'x-forwarded-proto': headers['x-forwarded-proto'],
            'x-forwarded-host': headers['x-forwarded-host'],
          };
        }
        logger.info(entry, 'request');
      });
    }

    if (limiter !== null && !limiter.isExempt(path)) {
      const allowed = limiter.table.take(last.family, started);
      res.setHeader('ratelimit-policy', limiter.policyHeader);
      res.setHeader('ratelimit', limiter.stateHeader());
      if (!allowed) {
        const wait = limiter.table.retryAfterSeconds;
        res.setHeader('retry-after', wait);
        sendJson(res, 429, errorBody('rate_limited', `too many requests from ${ip}; retry in ${wait} s`));
        return;
      }
    }

    routes.handle(path, req.method ?? 'GET', {
      res,
      client: () => ({ ...resolveWith(trust, source, peer, headers, encrypted), peer }),
    });
  };
}
