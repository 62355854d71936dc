// The per-client limiter the request path calls: bucket table, exempt paths and the IETF
// RateLimit-Policy / RateLimit header values (draft-ietf-httpapi-ratelimit-headers).
import { BucketTable, type BucketOptions } from './bucket-table.js';

export interface RateLimitOptions extends BucketOptions {
  /** Paths (matched exactly, query ignored) never limited, e.g. the load balancer's health checks. */
  exempt: readonly string[];
}

const POLICY_NAME = 'default';

export class RateLimiter {
  readonly table: BucketTable;
  /** Constant for the process, rendered once: the quota and the seconds it takes to refill. */
  readonly policyHeader: string;
  private readonly exempt: readonly string[];

  constructor(options: RateLimitOptions) {
    this.table = new BucketTable(options);
    this.exempt = options.exempt;
    const window = Math.max(1, Math.ceil(options.capacity / options.refillPerSecond));
    this.policyHeader = `"${POLICY_NAME}";q=${options.capacity};w=${window}`;
  }

  isExempt(path: string): boolean {
    return this.exempt.includes(path);
  }

  /** Value of the RateLimit header after the last take(). */
  stateHeader(): string {
    return `"${POLICY_NAME}";r=${this.table.remaining};t=${this.table.resetSeconds}`;
  }
}
