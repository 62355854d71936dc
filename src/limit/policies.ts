// Rate-limit policies: the ordered rules plus the default, each with its own name, header value and
// (for the in-memory store) its own bucket table. Chosen per request by path prefix and method.
import type { RateLimitRule } from '../config/types.js';
import { BucketTable, type BucketOptions } from './bucket-table.js';

export interface Policy {
  readonly name: string;
  /** Path prefix matched on whole segments; null for the default policy. */
  readonly path: string | null;
  /** Upper-case method, or null for any. */
  readonly method: string | null;
  readonly capacity: number;
  readonly refillPerSecond: number;
  /** RateLimit-Policy value, rendered once: quota and the seconds a full refill takes. */
  readonly policyHeader: string;
  /** The constant start of the RateLimit value, `"name";r=`. */
  readonly limitPrefix: string;
  /** Buckets of the in-memory store. */
  readonly table: BucketTable;
}

export interface PolicyOptions extends Omit<BucketOptions, 'capacity' | 'refillPerSecond'> {
  capacity: number;
  refillPerSecond: number;
  rules: readonly RateLimitRule[];
}

function policy(name: string, path: string | null, method: string | null, capacity: number, refillPerSecond: number, shared: PolicyOptions): Policy {
  const window = Math.max(1, Math.ceil(capacity / refillPerSecond));
  return {
    name,
    path,
    method,
    capacity,
    refillPerSecond,
    policyHeader: `"${name}";q=${capacity};w=${window}`,
    limitPrefix: `"${name}";r=`,
    table: new BucketTable({ capacity, refillPerSecond, ipv6Prefix: shared.ipv6Prefix, maxClients: shared.maxClients }),
  };
}

export function buildPolicies(options: PolicyOptions): Policy[] {
  const rules = options.rules.map((rule) => {
    const method = rule.method === undefined ? null : rule.method.toUpperCase();
    const name = rule.name ?? (method === null ? rule.path : `${method} ${rule.path}`);
    return policy(name, rule.path, method, rule.capacity, rule.refillPerSecond, options);
  });
  return [...rules, policy('default', null, null, options.capacity, options.refillPerSecond, options)];
}

/** `/mcp` covers `/mcp` and `/mcp/...`, not `/mcpx`; a prefix ending in '/' covers what follows it. */
function covers(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.endsWith('/') || path.charCodeAt(prefix.length) === 47;
}

export function selectPolicy(policies: readonly Policy[], path: string, method: string): Policy {
  for (let i = 0; i < policies.length - 1; i++) {
    const p = policies[i];
    // HEAD is GET without the body: a GET rule must not be sidestepped by asking for HEAD.
    const methodMatches = p.method === null || p.method === method || (method === 'HEAD' && p.method === 'GET');
    if (methodMatches && covers(p.path as string, path)) return p;
  }
  return policies[policies.length - 1];
}
