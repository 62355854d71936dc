// Small statistics helpers shared by the parts.

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Latency histogram in 10 µs buckets up to 250 ms, plus one overflow bucket. Recording is one typed-array
 * increment, so the load generator spends the same tiny amount on it for every server.
 */
export class LatencyHistogram {
  static BUCKET_US = 10;
  static BUCKETS = 25_000;

  constructor() {
    this.counts = new Uint32Array(LatencyHistogram.BUCKETS + 1);
    this.total = 0;
    this.maxMs = 0;
  }

  /** `ms` as autocannon reports it (fractional milliseconds from process.hrtime). */
  record(ms) {
    const b = Math.floor((ms * 1000) / LatencyHistogram.BUCKET_US);
    this.counts[b < LatencyHistogram.BUCKETS ? b : LatencyHistogram.BUCKETS]++;
    this.total++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** The upper edge of the bucket holding the q-quantile, in ms (the max when it overflowed). */
  quantile(q) {
    if (this.total === 0) return NaN;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b];
      if (seen >= rank) return b === LatencyHistogram.BUCKETS ? this.maxMs : ((b + 1) * LatencyHistogram.BUCKET_US) / 1000;
    }
    return this.maxMs;
  }
}

/**
 * What every table row shares: a server's rounds summarised against a baseline measured in the same
 * passes (median req/s and its ratio, the per-round ratio spread, latency, failures, foreign CPU).
 */
export function summarizeRounds(rs, baseRounds) {
  const rps = median(rs.map((r) => r.rps));
  const paired = rs.map((r, k) => r.rps / baseRounds[k].rps);
  return {
    rps,
    ratio: rps / median(baseRounds.map((r) => r.rps)),
    pairedMin: Math.min(...paired),
    pairedMax: Math.max(...paired),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
    requests: rs.reduce((a, r) => a + r.responses, 0),
    foreignCpu: Math.max(...rs.map((r) => r.foreignCpu ?? NaN)),
    rounds: rs.map((r) => Math.round(r.rps)),
  };
}
