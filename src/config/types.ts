// The validated configuration the rest of the agent reads. Every value here has passed the schema, so
// consumers use it as is and do not re-check.
import type { TrustOption } from '../trust/compile.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface AgentConfig {
  /** An IPv4 or IPv6 address, '::' for dual stack, or 'localhost'. */
  host: string;
  /** 0..65535; 0 picks a free port. */
  port: number;
  trustProxy: TrustOption;
  /** 'x-forwarded-for', 'forwarded', or a lower-case single-address header name. */
  clientIpHeader: string;
  /** `file: null` writes to stdout. */
  logging: { level: LogLevel; file: string | null };
  rateLimit: {
    enabled: boolean;
    /** Burst size, >= 1. */
    capacity: number;
    /** Tokens per second, > 0. */
    refillPerSecond: number;
    /** 1..128. */
    ipv6Prefix: number;
    /** Bounds the bucket table's memory, >= 1. */
    maxClients: number;
    /** Clients never limited: entries as for trustProxy (no true/false/hop counts). */
    allow: string | string[];
    /** Ordered; first match wins; the top-level capacity/refill is the "default" policy. */
    rules: RateLimitRule[];
    store: 'memory' | { redis: { url: string; prefix?: string } };
    onStoreError: 'open' | 'closed';
    /** Paths never limited; each starts with '/'. */
    exempt: string[];
  };
  diagnostics: boolean;
}

export interface RateLimitRule {
  name?: string;
  /** Path prefix on whole segments. */
  path: string;
  method?: string;
  capacity: number;
  refillPerSecond: number;
}

export type SourceKind = 'default' | 'file' | 'env' | 'flag';

/** Where a value came from. `label` is what a problem report names: '--port', 'ONE_MCP_PORT', 'a.json#/port', 'default'. */
export interface Origin {
  source: SourceKind;
  label: string;
}
