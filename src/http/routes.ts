// The agent's own endpoints. Paths are matched exactly (query ignored); each route lists its methods.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Warnings } from '../log/warnings.js';
import { body, errorBody, send, sendJson, type HeaderList } from './respond.js';

export interface Routes {
  handle(path: string, method: string, req: IncomingMessage, res: ServerResponse, headers: HeaderList): void;
  /** Flips /health/ready to 503 while the agent drains on shutdown. */
  setDraining(): void;
}

const NOT_FOUND = body(errorBody('not_found', 'no such endpoint'));
const METHOD_NOT_ALLOWED = body(errorBody('method_not_allowed', 'use GET or HEAD'));
const LIVE = body(JSON.stringify({ status: 'ok' }));
const READY = body(JSON.stringify({ status: 'ready' }));
const DRAINING = body(JSON.stringify({ status: 'draining' }));
const STORE_DOWN_OPEN = body(JSON.stringify({ status: 'degraded', rateLimitStore: 'unavailable', onStoreError: 'open' }));
const STORE_DOWN_CLOSED = body(JSON.stringify({ status: 'unavailable', rateLimitStore: 'unavailable', onStoreError: 'closed' }));

export interface RouteOptions {
  version: string;
  diagnostics: boolean;
  /** Whether the shared rate-limit store answers; null when buckets live in this process. */
  storeHealthy: (() => boolean) | null;
  /** With a fail-closed store, an unreachable store makes the agent unready (every request would get 503). */
  storeFailClosed: boolean;
  warnings: Warnings;
  /** The resolved-client view for /debug/client, computed only when asked. */
  describeClient: (req: IncomingMessage) => Record<string, unknown>;
}

type Route = (req: IncomingMessage, res: ServerResponse, headers: HeaderList) => void;

export function createRoutes({ version, diagnostics, storeHealthy, storeFailClosed, warnings, describeClient }: RouteOptions): Routes {
  const started = performance.now();
  let draining = false;
  const readiness: Route = (_req, res, headers) => {
    if (draining) return send(res, 503, DRAINING, headers);
    if (storeHealthy === null || storeHealthy()) return send(res, 200, READY, headers);
    // Open: still serving, unlimited. Closed: refusing traffic, so the load balancer should look elsewhere.
    send(res, storeFailClosed ? 503 : 200, storeFailClosed ? STORE_DOWN_CLOSED : STORE_DOWN_OPEN, headers);
  };
  const table = new Map<string, Route>([
    [
      '/health',
      (_req, res, headers) => {
        const uptime = Math.round((performance.now() - started) / 10) / 100;
        sendJson(res, 200, JSON.stringify({ status: draining ? 'draining' : 'ok', version, uptime }), headers);
      },
    ],
    ['/health/live', (_req, res, headers) => send(res, 200, LIVE, headers)],
    ['/health/ready', readiness],
  ]);
  if (diagnostics) {
    table.set('/debug/client', (req, res, headers) => sendJson(res, 200, JSON.stringify(describeClient(req)), headers));
    table.set('/debug/warnings', (_req, res, headers) => sendJson(res, 200, JSON.stringify(warnings.snapshot()), headers));
  }

  return {
    handle(path, method, req, res, headers) {
      const route = table.get(path);
      if (route === undefined) return send(res, 404, NOT_FOUND, headers);
      if (method !== 'GET' && method !== 'HEAD') {
        headers.push('allow', 'GET, HEAD');
        return send(res, 405, METHOD_NOT_ALLOWED, headers);
      }
      route(req, res, headers);
    },
    setDraining() {
      draining = true;
    },
  };
}
