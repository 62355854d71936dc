// Timing for the micro-benchmarks. A body `body(n)` performs n operations and returns something derived
// from their results (so the work cannot be optimised away).
//
// calibrate() doubles n until one batch takes about 2 ms; that is also the warm-up that gets the code
// optimised. sample() then runs batches for a time budget (and never more than an iteration cap) and
// keeps ns per operation for each batch. Callers interleave sample() over all their bodies in several
// passes and take the median, so a noisy second on a shared machine lands on every body alike instead of
// on whichever happened to be running.
import { median } from './stats.js';

let sink = 0;

function batch(body, n) {
  const t = process.hrtime.bigint();
  const r = body(n);
  const ns = Number(process.hrtime.bigint() - t);
  sink = (sink + (typeof r === 'number' ? r : r ? 1 : 0)) | 0;
  return ns;
}

export class Timed {
  constructor(body, { budgetMs, maxIterations }) {
    this.body = body;
    this.budgetMs = budgetMs;
    this.maxIterations = maxIterations;
    this.n = 1;
    this.iterations = 0;
    this.perOp = [];
  }

  calibrate() {
    for (;;) {
      const ns = batch(this.body, this.n);
      this.iterations += this.n;
      if (ns >= 2e6 || this.iterations >= this.maxIterations / 8 || ns >= this.budgetMs * 2e5) return this;
      this.n *= 2;
    }
  }

  /** Runs batches for budgetMs / passes (at least one batch), within the iteration cap. */
  sample(passes) {
    const deadline = performance.now() + this.budgetMs / passes;
    const cap = this.maxIterations / passes;
    let done = 0;
    do {
      this.perOp.push(batch(this.body, this.n) / this.n);
      done += this.n;
    } while (performance.now() < deadline && done + this.n <= cap);
    this.iterations += done;
  }

  get ns() {
    return median(this.perOp);
  }
}

/** Calibrates every body, then samples them all in `passes` interleaved passes. */
export function measureAll(timed, passes) {
  for (const t of timed) t.calibrate();
  for (let p = 0; p < passes; p++) for (const t of timed) t.sample(passes);
}

/** Wall time of one call, in ms, median of `repeats` (each repeat is one fresh call). */
export function timeOnce(fn, repeats) {
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    sink = (sink + (fn() ? 1 : 0)) | 0;
    times.push(performance.now() - t);
  }
  return median(times);
}

export const sinkValue = () => sink;
