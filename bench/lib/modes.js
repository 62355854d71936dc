// How long each part runs. Every loop in the benchmarks is bounded twice: by a count and by a time.
//
// tiny  - the smoke test's mode: a couple of hundred requests per server, a few thousand iterations.
//         The numbers mean nothing; it proves the harness starts, measures and prints.
// quick - `npm run bench -- --quick`: under three minutes (the Redis part about 40 s of it); on a shared
//         VM its ratios move by 10% or more from one run to the next.
// full  - `npm run bench`: about seventeen minutes (the Redis part about 3), the run recorded in
//         bench/RESULTS.md. Many short HTTP rounds rather than a few long ones: on a shared machine the
//         load of the neighbours comes in bursts, and the median of more interleaved rounds rides them out.
export const MODES = {
  tiny: {
    http: { connections: 10, warmupSeconds: 1, warmupRequests: 200, rounds: 1, roundSeconds: 2, roundRequests: 200 },
    matcher: { sizes: [1, 10, 100], budgetMs: 3, maxIterations: 20_000, compileRepeats: 1, chainBudgetMs: 3, passes: 1 },
    alloc: { iterations: 10_000 },
    limiter: { clients: 20_000, maxClients: [1_000, 10_000] },
    redis: { connections: 10, warmupSeconds: 1, warmupRequests: 200, rounds: 1, roundSeconds: 2, roundRequests: 200 },
  },
  quick: {
    http: { connections: 50, warmupSeconds: 1, warmupRequests: 400_000, rounds: 4, roundSeconds: 2, roundRequests: 400_000 },
    matcher: { sizes: [1, 3, 10, 100, 1_000, 10_000], budgetMs: 25, maxIterations: 5_000_000, compileRepeats: 3, chainBudgetMs: 40, passes: 3 },
    alloc: { iterations: 1_000_000 },
    limiter: { clients: 1_000_000, maxClients: [10_000, 100_000, 1_000_000] },
    redis: { connections: 50, warmupSeconds: 1, warmupRequests: 200_000, rounds: 2, roundSeconds: 2, roundRequests: 400_000 },
  },
  full: {
    http: { connections: 50, warmupSeconds: 5, warmupRequests: 1_000_000, rounds: 12, roundSeconds: 6, roundRequests: 1_200_000 },
    matcher: { sizes: [1, 3, 10, 100, 1_000, 10_000], budgetMs: 150, maxIterations: 50_000_000, compileRepeats: 7, chainBudgetMs: 200, passes: 5 },
    alloc: { iterations: 1_000_000 },
    limiter: { clients: 1_000_000, maxClients: [10_000, 100_000, 1_000_000] },
    redis: { connections: 50, warmupSeconds: 3, warmupRequests: 600_000, rounds: 5, roundSeconds: 8, roundRequests: 1_600_000 },
  },
};

export function modeFrom(argv) {
  if (argv.includes('--tiny')) return 'tiny';
  if (argv.includes('--quick')) return 'quick';
  return 'full';
}
