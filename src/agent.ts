// Builds the agent from validated configuration: logger, limiter, routes and the node:http server,
// and owns its lifecycle (listen, drain on shutdown).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentConfig } from './config/types.js';
import type { TLSSocket } from 'node:tls';
import { resolveWith } from './forwarded/resolve.js';
import { compileSource } from './forwarded/source.js';
import { createPipeline } from './http/pipeline.js';
import { createRoutes } from './http/routes.js';
import { createMisconfigDetector } from './http/misconfig.js';
import { prefixMask } from './limit/client-key.js';
import { RateLimiter, type SharedStore } from './limit/rate-limiter.js';
import type { AgentLogger } from './log/logger.js';
import { Warnings } from './log/warnings.js';
import { trustsAnyPeer, type AddressList, type CompiledTrust } from './trust/compile.js';

export interface Agent {
  server: Server;
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes what is left. */
  shutdown(graceMs: number): Promise<void>;
}

export interface AgentParts {
  config: AgentConfig;
  trust: CompiledTrust;
  allow: AddressList;
  log: AgentLogger;
  version: string;
  /** The shared bucket store, when rateLimit.store names one; the caller owns its connection. */
  store: SharedStore | null;
}

export function createAgent({ config, trust, allow, log, version, store }: AgentParts): Agent {
  const { logger } = log;
  const rl = config.rateLimit;
  const limiter = rl.enabled ? new RateLimiter({ ...rl, allow: allow.set }) : null;
  const warnings = new Warnings(logger);
  const storeFailClosed = rl.onStoreError === 'closed';
  const sharedStore = limiter === null ? null : store;
  const source = compileSource(config.clientIpHeader);
  const routes = createRoutes({
    version,
    diagnostics: config.diagnostics,
    storeHealthy: sharedStore === null ? null : () => sharedStore.healthy,
    storeFailClosed,
    warnings,
    describeClient: (req) => {
      const peer = req.socket.remoteAddress ?? '';
      const encrypted = (req.socket as TLSSocket).encrypted === true;
      return { ...resolveWith(trust, source, peer, req.headers, encrypted), peer };
    },
  });
  const pipeline = createPipeline({
    trust,
    source,
    limiter,
    store: sharedStore,
    storeFailClosed,
    ipv6Mask: prefixMask(rl.ipv6Prefix),
    routes,
    logger,
    requestLine: log.requestLine,
    warnings,
    detector: createMisconfigDetector(trust, warnings),
  });
  const server = createServer(
    // Proxies pool connections to us and keep them idle for up to 60 s (nginx upstream keepalive, cloud
    // load balancers). Closing first would race their next request into a 502, so we outlast them.
    { keepAliveTimeout: 65_000, headersTimeout: 66_000 },
    pipeline,
  );

  if (trustsAnyPeer(trust)) {
    logger.warn(
      { trustProxy: config.trustProxy },
      'trustProxy accepts forwarded addresses from any peer: a client that reaches the agent directly can choose its own IP. Prefer the proxies\' addresses.',
    );
  }

  return {
    server,
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          logger.info(
            {
              host: address.address,
              port: address.port,
              trust: trust.summary,
              clientIpHeader: source.summary,
              rateLimit: limiter ? limiter.policies.map((p) => p.policyHeader).join(', ') : 'off',
              store: sharedStore === null ? 'memory' : 'shared',
            },
            'listening',
          );
          resolve(address);
        });
      });
    },
    shutdown(graceMs) {
      routes.setDraining();
      return new Promise((resolve) => {
        const force = setTimeout(() => {
          logger.warn({ graceMs }, 'grace period over: closing remaining connections');
          server.closeAllConnections();
        }, graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
