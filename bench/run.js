#!/usr/bin/env node
// The benchmark harness: `npm run bench` (full, ~15 min), `npm run bench -- --quick` (<3 min),
// `node bench/run.js --tiny` (seconds; the smoke test's mode). See bench/README.md.
//
//   --only http,matcher,alloc,limiter,redis   run some parts only
//   --out FILE                                also write the report (markdown) to FILE
//   --json FILE                               also write the raw results to FILE
//
// Each part runs in its own child process (fresh JIT state, its own V8 flags) and returns JSON; the HTTP
// part starts the servers as its own children, so the load generator and every server share one process
// tree. The report goes to stdout; progress to stderr.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MODES, modeFrom } from './lib/modes.js';
import { render } from './lib/report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PARTS = {
  http: [],
  matcher: [],
  // A 128 MiB young generation holds a million small results without a collection (see parts/alloc.js).
  alloc: ['--expose-gc', '--min-semi-space-size=128', '--max-semi-space-size=128'],
  limiter: ['--expose-gc'],
  redis: [],
};
// Hard ceilings per part, far above what a full run needs: a hung part is killed, not waited for.
const PART_TIMEOUT_MS = { http: 40 * 60_000, matcher: 15 * 60_000, alloc: 5 * 60_000, limiter: 5 * 60_000, redis: 15 * 60_000 };

const argv = process.argv.slice(2);
const valueOf = (name) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const mode = modeFrom(argv);
const only = valueOf('--only')?.split(',').map((s) => s.trim()) ?? Object.keys(PARTS);
for (const part of only) {
  if (!(part in PARTS)) {
    process.stderr.write(`unknown part "${part}"; parts: ${Object.keys(PARTS).join(', ')}\n`);
    process.exit(2);
  }
}
if (!existsSync(new URL('../dist/server.js', import.meta.url))) {
  process.stderr.write('dist/ is missing: run `npm run build` first (`npm run bench` does it for you)\n');
  process.exit(2);
}

function runPart(part) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...PARTS[part], 'bench/parts/child.js', part, mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), PART_TIMEOUT_MS[part]);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`part ${part} failed (${signal ?? `exit ${code}`}): ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`part ${part} printed no result: ${e.message}`));
      }
    });
  });
}

const cpus = os.cpus();
const started = new Date();
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const versions = Object.fromEntries(
  ['autocannon', 'fastify', '@fastify/rate-limit', 'express', 'express-rate-limit', 'pino', 'pino-http', 'proxy-addr', '@fastify/proxy-addr', 'ioredis'].map((name) => {
    try {
      return [name, JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version];
    } catch {
      return [name, 'missing'];
    }
  }),
);
const results = {
  meta: {
    mode,
    date: started.toISOString(),
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    agentVersion: pkg.version,
    versions,
    loadBefore: os.loadavg(),
  },
  settings: Object.fromEntries(only.map((p) => [p, MODES[mode][p]])),
};
for (const part of only) {
  const t = performance.now();
  process.stderr.write(`== ${part} (${mode})\n`);
  results[part] = await runPart(part);
  results[part].seconds = (performance.now() - t) / 1000;
}
results.meta.loadAfter = os.loadavg();
results.meta.seconds = (Date.now() - started.getTime()) / 1000;

const report = render(results);
process.stdout.write(`${report}\n`);
const out = valueOf('--out');
if (out) writeFileSync(out, `${report}\n`);
const json = valueOf('--json');
if (json) writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
