// The request path: resolve the client, limit it, route, and log the outcome when the response closes.
// Everything constant is prepared in createPipeline; the returned handler does the per-request work only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { requestProtocol } from '../forwarded/proto-host.js';
import { headerText, protoClaims } from '../forwarded/resolve.js';
import { MODE_FORWARDED, type ClientIpSource } from '../forwarded/source.js';
import { last, walkChain } from '../forwarded/walk.js';
import { clientKeyText } from '../limit/client-key.js';
import { pushLimitHeaders, type RateLimiter, type SharedStore } from '../limit/rate-limiter.js';
import type { Policy } from '../limit/policies.js';
import type { Warnings } from '../log/warnings.js';
import { requestId } from '../log/request-id.js';
import type { RequestLineWriter } from '../log/request-line.js';
import type { CompiledTrust } from '../trust/compile.js';
import { routePath } from './path.js';
import { body, errorBody, send, sendJson, type HeaderList } from './respond.js';
import type { MisconfigDetector } from './misconfig.js';
import type { Routes } from './routes.js';

export interface PipelineOptions {
  trust: CompiledTrust;
  source: ClientIpSource;
  limiter: RateLimiter | null;
  /** Set when buckets live in a shared store (Redis) instead of this process. */
  store: SharedStore | null;
  storeFailClosed: boolean;
  /** IPv6 prefix mask for shared-store keys. */
  ipv6Mask: Uint32Array;
  routes: Routes;
  logger: Logger;
  requestLine: RequestLineWriter;
  warnings: Warnings;
  detector: MisconfigDetector;
}

const STORE_WARNING_INTERVAL_MS = 60_000;
const STORE_UNAVAILABLE = body(errorBody('rate_limit_unavailable', 'the rate-limit store cannot answer; try again shortly'));

function refuse(res: ServerResponse, headers: HeaderList, ip: string, retryAfterSeconds: number): void {
  headers.push('retry-after', String(retryAfterSeconds));
  sendJson(res, 429, errorBody('rate_limited', `too many requests from ${ip}; retry in ${retryAfterSeconds} s`), headers);
}

/** The path as the client wrote it, for the log: what was asked, before normalisation. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function createPipeline(options: PipelineOptions) {
  const { trust, source, limiter, store, storeFailClosed, ipv6Mask, routes, logger, requestLine, warnings, detector } = options;
  const debug = logger.isLevelEnabled('debug');
  const logRequests = logger.isLevelEnabled('info');

  /**
   * One line per answered request, written when the answer has been handed to the socket (every route
   * answers synchronously, the shared store asynchronously); `ms` is the time until then. At debug the
   * line also says how the client was resolved, through pino (that level is not for production load).
   */
  function logRequest(req: IncomingMessage, res: ServerResponse, id: string, started: number, ip: string, peer: string, protocol: string, peerTrusted: boolean, hops: number): void {
    const method = req.method ?? 'GET';
    const path = pathOf(req.url ?? '/');
    const ms = Math.round((performance.now() - started) * 1000) / 1000;
    const aborted = res.destroyed && !res.writableEnded;
    if (!debug) return requestLine(id, method, path, res.statusCode, ms, ip, peer, protocol, aborted);
    const headers = req.headers;
    const entry: Record<string, unknown> = { reqId: id, method, path, status: res.statusCode, ms, ip, peer, protocol };
    if (aborted) entry.aborted = true;
    entry.peerTrusted = peerTrusted;
    entry.hops = hops;
    // Only what the resolution read: forged headers it ignored would mislead whoever debugs.
    entry.forwarded =
      source.mode === MODE_FORWARDED
        ? { [source.header]: headers[source.header] }
        : {
            [source.header]: headers[source.header],
            'x-forwarded-proto': headers['x-forwarded-proto'],
            'x-forwarded-host': headers['x-forwarded-host'],
          };
    logger.info(entry, 'request');
  }

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
    // Only the log line reads the scheme; without it, the claims are not even looked up.
    const protocol = logRequests ? requestProtocol((req.socket as TLSSocket).encrypted === true, peerTrusted, source.mode, protoClaims(source, headers, chain)) : '';
    const id = requestId(peerTrusted ? headerText(headers['x-request-id']) : undefined);
    const path = routePath(req.url ?? '/');
    const method = req.method ?? 'GET';
    const out: HeaderList = ['x-request-id', id];

    // Everything that reads the client's scratch words runs before the detector, which reuses them.
    const policy: Policy | null = limiter === null ? null : limiter.policyFor(path, method, last.family);
    if (policy === null || store === null) {
      const allowed = policy === null || policy.table.take(last.family, started);
      detector.observe(peer, chain !== undefined, peerTrusted, last.family, ip, started);
      if (policy !== null) pushLimitHeaders(out, policy, policy.table.remaining, policy.table.resetSeconds);
      if (allowed) routes.handle(path, method, req, res, out);
      else refuse(res, out, ip, (policy as Policy).table.retryAfterSeconds);
      if (logRequests) logRequest(req, res, id, started, ip, peer, protocol, peerTrusted, hops);
      return;
    }
    const key = `${policy.name}|${clientKeyText(last.family, ip, ipv6Mask)}`;
    detector.observe(peer, chain !== undefined, peerTrusted, last.family, ip, started);
    store.take(key, policy.capacity, policy.refillPerSecond).then(
      (decision) => {
        pushLimitHeaders(out, policy, decision.remaining, decision.resetSeconds);
        if (decision.allowed) routes.handle(path, method, req, res, out);
        else refuse(res, out, ip, decision.retryAfterSeconds);
        if (logRequests) logRequest(req, res, id, started, ip, peer, protocol, peerTrusted, hops);
      },
      (err: Error) => {
        warnings.emit('STORE_UNAVAILABLE', { error: err.message, failClosed: storeFailClosed }, performance.now(), STORE_WARNING_INTERVAL_MS);
        if (!storeFailClosed) routes.handle(path, method, req, res, out);
        else {
          out.push('retry-after', '1');
          send(res, 503, STORE_UNAVAILABLE, out);
        }
        if (logRequests) logRequest(req, res, id, started, ip, peer, protocol, peerTrusted, hops);
      },
    );
  };
}
