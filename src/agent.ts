// Builds the agent from validated configuration: logger, limiter, routes and the node:http server,
// and owns its lifecycle (listen, drain on shutdown).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentConfig } from './config/types.js';
import { compileSource } from './forwarded/source.js';
import { createPipeline } from './http/pipeline.js';
import { createRoutes } from './http/routes.js';
import { RateLimiter } from './limit/rate-limiter.js';
import type { AgentLogger } from './log/logger.js';
import { TRUST_ALL, TRUST_HOPS, type CompiledTrust } from './trust/compile.js';

export interface Agent {
  server: Server;
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes what is left. */
  shutdown(graceMs: number): Promise<void>;
}

export function createAgent(config: AgentConfig, trust: CompiledTrust, log: AgentLogger, version: string): Agent {
  const { logger } = log;
  const rl = config.rateLimit;
  const limiter = rl.enabled ? new RateLimiter(rl) : null;
  const routes = createRoutes(version, config.diagnostics);
  const source = compileSource(config.clientIpHeader);
  const server = createServer(
    // Proxies pool connections to us and keep them idle for up to 60 s (nginx upstream keepalive, cloud
    // load balancers). Closing first would race their next request into a 502, so we outlast them.
    { keepAliveTimeout: 65_000, headersTimeout: 66_000 },
    createPipeline({ trust, source, limiter, routes, logger }),
  );

  if (trust.kind === TRUST_ALL || (trust.kind === TRUST_HOPS && trust.hops > 0)) {
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
            { host: address.address, port: address.port, trust: trust.summary, clientIpHeader: source.summary, rateLimit: limiter ? limiter.policyHeader : 'off' },
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
