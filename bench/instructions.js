// Instructions per request, counted by valgrind's callgrind: unlike req/s, the count does not move with
// the machine's load, so on a shared VM it is the figure to compare servers (or two versions of the
// agent) by. It counts user-space instructions of the server process, all threads, JIT code included;
// kernel time (the loopback send) is not in it.
//
//   node bench/instructions.js [server ...]       default: bare bare-headers agent-warn-nolimit agent-warn
//
// The rows with a log line are left out by default: the agent writes its log in batches that leave 5 ms
// after their first line, and under callgrind, some 50 times slower, a batch holds a handful of lines
// instead of hundreds, so the count charges each line many times its real share of a write.
// Each server runs under callgrind twice, answering 12,000 and then 32,000 requests from the HTTP
// part's pool (autocannon, 10 connections); the difference over the 20,000 extra requests leaves out
// start-up, warm-up and JIT compilation. About 1.5 minutes per server. Needs valgrind.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { serverList } from './parts/http.js';
import { makePool, PATH } from './lib/pool.js';

const COUNTS = [12_000, 32_000];

async function answering(port, child) {
  // Under callgrind start-up takes seconds: up to 2 minutes (600 polls).
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) return false;
    await new Promise((r) => setTimeout(r, 200));
    try {
      if ((await fetch(`http://127.0.0.1:${port}${PATH}`)).status === 200) return true;
    } catch {
      // not listening yet
    }
  }
  return false;
}

/** Total instructions of one server process that answered `amount` requests. */
async function count(server, amount, requests) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-instr-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'out')}`, process.execPath, server.script, ...server.args, '--port', String(port), '--log-file', join(dir, 'log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    if (!(await answering(port, child))) throw new Error(`${server.name} did not start under valgrind: ${stderr.slice(-500)}`);
    await new Promise((resolve, reject) =>
      autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, amount, requests, timeout: 60 }, (err, result) => (err ? reject(err) : resolve(result))),
    );
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
  const collected = /Collected : (\d+)/.exec(stderr);
  if (!collected) throw new Error(`no instruction count from callgrind for ${server.name}`);
  return Number(collected[1]);
}

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('valgrind is not installed (Debian: apt-get install valgrind)');
  process.exit(2);
}
const known = serverList('quick');
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['bare', 'bare-headers', 'agent-warn-nolimit', 'agent-warn'];
const unknown = names.filter((n) => !known.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(`unknown server(s): ${unknown.join(', ')}; known: ${known.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const requests = makePool(1000).map((p) => ({ method: 'GET', path: PATH, headers: { 'x-forwarded-for': p.xff } }));
const rows = [];
for (const name of names) {
  const server = known.find((s) => s.name === name);
  const [low, high] = [await count(server, COUNTS[0], requests), await count(server, COUNTS[1], requests)];
  const perRequest = (high - low) / (COUNTS[1] - COUNTS[0]);
  rows.push({ name, perRequest });
  console.error(`${name}: ${Math.round(perRequest)} instructions/request`);
}
const bare = rows.find((r) => r.name === 'bare');
console.log('| server | instructions/request | x bare |');
console.log('| :-- | --: | --: |');
for (const r of rows) console.log(`| ${r.name} | ${Math.round(r.perRequest).toLocaleString('en-US')} | ${bare ? (r.perRequest / bare.perRequest).toFixed(2) + 'x' : 'n/a'} |`);
