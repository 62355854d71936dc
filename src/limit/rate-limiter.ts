// The per-client limiter the request path calls: which policy applies, who is never limited, and the
// IETF RateLimit-Policy / RateLimit header values (draft-ietf-httpapi-ratelimit-headers).
import { setHas, type CidrSet } from '../net/cidr-set.js';
import { buildPolicies, selectPolicy, type Policy, type PolicyOptions } from './policies.js';

export interface RateLimitOptions extends PolicyOptions {
  /** Paths (matched exactly, query ignored) never limited, e.g. the load balancer's health checks. */
  exempt: readonly string[];
  /** Clients never limited. */
  allow: CidrSet;
}

/** A token-bucket store shared by several agents (Redis); the in-memory tables need no such object. */
export interface SharedStore {
  take(key: string, capacity: number, refillPerSecond: number): Promise<{ allowed: boolean; remaining: number; resetSeconds: number; retryAfterSeconds: number }>;
  readonly healthy: boolean;
  close(): Promise<void>;
}

export class RateLimiter {
  readonly policies: readonly Policy[];
  private readonly exempt: readonly string[];
  private readonly allow: CidrSet;
  private readonly allowEmpty: boolean;

  constructor(options: RateLimitOptions) {
    this.policies = buildPolicies(options);
    this.exempt = options.exempt;
    this.allow = options.allow;
    this.allowEmpty = options.allow.blocks.length === 0;
  }

  /**
   * The policy for this request, or null when it is not limited: an exempt path, or a client (whose
   * address is in the scratch words) on the allow-list.
   */
  policyFor(path: string, method: string, family: number): Policy | null {
    if (this.exempt.includes(path)) return null;
    if (!this.allowEmpty && setHas(this.allow, family)) return null;
    return selectPolicy(this.policies, path, method);
  }
}

/** Adds RateLimit-Policy and RateLimit, from the bucket's state after a take, to a response's headers. */
export function pushLimitHeaders(headers: string[], policy: Policy, remaining: number, resetSeconds: number): void {
  headers.push('ratelimit-policy', policy.policyHeader, 'ratelimit', `${policy.limitPrefix}${remaining};t=${resetSeconds}`);
}
