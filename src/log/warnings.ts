// Every operational warning the agent can give, defined once, each logged at most once per interval
// however often it recurs, with a running count (served under diagnostics at /debug/warnings).
import type { Logger } from 'pino';

export const WARNINGS = {
  PERMISSIVE_TRUST_DIRECT:
    'trustProxy is true or a hop count, and a request came straight from a public address: any client that can reach the agent can choose its own IP',
  UNTRUSTED_PEER_FORWARDS:
    'a forwarding header arrived from a peer that is not trusted, so it was ignored and every client behind that peer shares its address and bucket; if the peer is your proxy, add it to trustProxy',
  FORWARDING_IGNORED:
    'trustProxy is false but requests keep arriving with forwarding headers: every client behind the proxy shares its address and bucket',
  DOMINANT_CLIENT:
    'one client address made more than 90% of at least 100 requests in a minute; usually a proxy that is missing from trustProxy, so everyone behind it shares one bucket',
  STORE_UNAVAILABLE: 'the shared rate-limit store cannot answer',
} as const;

export type WarningCode = keyof typeof WARNINGS;

const TEN_MINUTES = 10 * 60 * 1000;

interface Tally {
  count: number;
  lastLogged: number;
}

export class Warnings {
  private readonly tallies = new Map<WarningCode, Tally>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = TEN_MINUTES,
  ) {}

  /** Counts the warning; logs it unless it was logged less than `intervalMs` ago. */
  emit(code: WarningCode, fields: Record<string, unknown>, now: number, intervalMs = this.intervalMs): void {
    let tally = this.tallies.get(code);
    if (tally === undefined) {
      tally = { count: 0, lastLogged: -Infinity };
      this.tallies.set(code, tally);
    }
    tally.count++;
    if (now - tally.lastLogged < intervalMs) return;
    tally.lastLogged = now;
    this.logger.warn({ warning: code, count: tally.count, ...fields }, WARNINGS[code]);
  }

  /** Counts per warning since start-up. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.tallies].map(([code, tally]) => [code, tally.count]));
  }
}
