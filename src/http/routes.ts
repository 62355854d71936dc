// The agent's own endpoints. Paths are matched exactly (query ignored); each route lists its methods.
import type { ServerResponse } from 'node:http';
import type { Warnings } from '../log/warnings.js';
import { errorBody, sendJson } from './respond.js';

export interface RouteContext {
  res: ServerResponse;
  /** Lazily builds the resolved-client view; only /debug/client asks for it. */
  client(): Record<string, unknown>;
}

export interface Routes {
  handle(path: string, method: string, ctx: RouteContext): void;
  /** Flips /health/ready to 503 while the agent drains on shutdown. */
  setDraining(): void;
}

const NOT_FOUND = errorBody('not_found', 'no such endpoint');
const METHOD_NOT_ALLOWED = errorBody('method_not_allowed', 'use GET or HEAD');
const LIVE = JSON.stringify({ status: 'ok' });
const READY = JSON.stringify({ status: 'ready' });
const DRAINING = JSON.stringify({ status: 'draining' });
const STORE_DOWN_OPEN = JSON.stringify({ status: 'degraded', rateLimitStore: 'unavailable', onStoreError: 'open' });
const STORE_DOWN_CLOSED = JSON.stringify({ status: 'unavailable', rateLimitStore: 'unavailable', onStoreError: 'closed' });

export interface RouteOptions {
  version: string;
  diagnostics: boolean;
  /** Whether the shared rate-limit store answers; null when buckets live in this process. */
  storeHealthy: (() => boolean) | null;
  /** With a fail-closed store, an unreachable store makes the agent unready (every request would get 503). */
  storeFailClosed: boolean;
  warnings: Warnings;
}

export function createRoutes({ version, diagnostics, storeHealthy, storeFailClosed, warnings }: RouteOptions): Routes {
  const started = performance.now();
  let draining = false;
  const readiness = (res: ServerResponse) => {
    if (draining) return sendJson(res, 503, DRAINING);
    if (storeHealthy === null || storeHealthy()) return sendJson(res, 200, READY);
    // Open: still serving, unlimited. Closed: refusing traffic, so the load balancer should look elsewhere.
    sendJson(res, storeFailClosed ? 503 : 200, storeFailClosed ? STORE_DOWN_CLOSED : STORE_DOWN_OPEN);
  };
  const table: Record<string, (ctx: RouteContext) => void> = {
    '/health': ({ res }) => {
      const uptime = Math.round((performance.now() - started) / 10) / 100;
      sendJson(res, 200, JSON.stringify({ status: draining ? 'draining' : 'ok', version, uptime }));
    },
    '/health/live': ({ res }) => sendJson(res, 200, LIVE),
    '/health/ready': ({ res }) => readiness(res),
  };
  if (diagnostics) {
    table['/debug/client'] = (ctx) => sendJson(ctx.res, 200, JSON.stringify(ctx.client()));
    table['/debug/warnings'] = ({ res }) => sendJson(res, 200, JSON.stringify(warnings.snapshot()));
  }

  return {
    handle(path, method, ctx) {
      const route = Object.hasOwn(table, path) ? table[path] : undefined;
      if (route === undefined) return sendJson(ctx.res, 404, NOT_FOUND);
      if (method !== 'GET' && method !== 'HEAD') {
        ctx.res.setHeader('allow', 'GET, HEAD');
        return sendJson(ctx.res, 405, METHOD_NOT_ALLOWED);
      }
      route(ctx);
    },
    setDraining() {
      draining = true;
    },
  };
}
