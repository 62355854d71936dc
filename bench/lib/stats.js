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
