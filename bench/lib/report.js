// Turns the parts' results into the markdown report: one section per part, then the targets from the
// issue, each with what was measured and whether it held.
import { bytes, num, ratio, table } from './table.js';

const ms = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const pct = (v) => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : 'n/a');
const MiB = 1024 * 1024;

function httpSection(h) {
  const s = h.settings;
  const rows = h.rows.map((r) => [
    r.name,
    num(r.rps),
    ratio(r.ratio),
    `${r.pairedMin.toFixed(2)}-${r.pairedMax.toFixed(2)}`,
    ms(r.p50),
    ms(r.p99),
    r.errors,
    r.non2xx,
    Number.isFinite(r.serverCpuUs) ? r.serverCpuUs.toFixed(0) : 'n/a',
    r.linesPerRequest.toFixed(2),
    r.what,
  ]);
  const by = Object.fromEntries(h.rows.map((r) => [r.name, r]));
  const lines = [
    '## 1. HTTP: one run, interleaved rounds',
    '',
    `${s.rounds} rounds of ${s.roundSeconds} s per server (at most ${num(s.roundRequests)} requests each), after one ${s.warmupSeconds} s warm-up round per server that is thrown away; ` +
      `autocannon with ${s.connections} connections, pipelining 1, in the same process tree; GET /health/live with X-Forwarded-For drawn from a pool of ${h.poolSize}; ` +
      'servers listen on `::`, load goes to 127.0.0.1.',
    '',
    table(
      ['server', 'req/s (median)', 'x bare', 'x bare per round', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'server CPU us/req', 'log lines/req', 'configuration'],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ];
  if (by.agent && by.fastify && by.express) {
    lines.push(`agent / fastify: ${ratio(by.agent.rps / by.fastify.rps)}; agent / express: ${ratio(by.agent.rps / by.express.rps)}.`);
  }
  if (by.agent && by['agent-warn'] && by['agent-nolimit'] && by['agent-warn-nolimit']) {
    const us = (r) => 1e6 / r.rps;
    lines.push(
      `Cost per request by stage, from the agent rows (us of wall time per request at this concurrency): ` +
        `trust + routing over bare ${(us(by['agent-warn-nolimit']) - us(by.bare)).toFixed(1)}, ` +
        `limiter ${(us(by['agent-warn']) - us(by['agent-warn-nolimit'])).toFixed(1)}, ` +
        `log line ${(us(by['agent-nolimit']) - us(by['agent-warn-nolimit'])).toFixed(1)}.`,
    );
  }
  if (by['bare-headers'] && by['agent-warn']) {
    lines.push(
      `agent-warn / bare-headers: ${ratio(by['agent-warn'].rps / by['bare-headers'].rps)} ` +
        "(the same five response headers sent by bare node:http: what the agent's own code costs at warn).",
    );
  }
  lines.push(
    `Other load on the machine during the rounds (CPU used by neither the load generator nor the server under test): median ${pct(h.foreignCpuMedian)}, worst round ${pct(h.foreignCpuMax)} of all CPUs.`,
  );
  return lines.join('\n');
}

function baseSize(matcher, kind) {
  return Math.min(...matcher.filter((r) => r.kind === kind).map((r) => r.size));
}

function matcherSection(m) {
  const rows = m.matcher.map((r) => [r.size, r.kind, num(r.ours), num(r.proxyAddr), num(r.fastify), ratio(r.proxyAddr / r.ours)]);
  const kinds = [...new Set(m.matcher.map((r) => r.kind))];
  const largest = Math.max(...m.matcher.map((r) => r.size));
  const growth = kinds.map((kind) => {
    const base = baseSize(m.matcher, kind);
    const at = (size) => m.matcher.find((r) => r.kind === kind && r.size === size);
    const a = at(base);
    const b = at(largest);
    return [kind, base, num(a.ours), num(b.ours), ratio(b.ours / a.ours), ratio(b.proxyAddr / a.proxyAddr)];
  });
  const chains = m.chains.map((r) => [
    r.hops,
    r.hops === 0 ? 'none (socket)' : `IPv${r.family}`,
    num(r.walk),
    num(r.resolveClient),
    num(r.proxyAddr),
    num(r.fastify),
    ratio(r.proxyAddr / r.walk),
  ]);
  const lines = [
    '## 2. Trust matcher',
    '',
    'ns per check, address given as text (ours: parseIp + isTrusted; proxy-addr and @fastify/proxy-addr: their compiled trust function). ' +
      '"mapped" is `::ffff:a.b.c.d`, what a dual-stack listener reports for IPv4 peers.',
    '',
    table(['entries', 'address', 'ours ns', 'proxy-addr ns', '@fastify/proxy-addr ns', 'ours faster x'], rows, ['r', 'l']),
    '',
    `Growth from the smallest list holding that kind of address to ${num(largest)} entries:`,
    '',
    table(['address', 'from entries', 'ours ns there', `ours ns at ${num(largest)}`, 'ours growth', 'proxy-addr growth'], growth, ['l']),
    '',
    'Compile time (ms, median of repeats):',
    '',
    table(['entries', 'ours', 'proxy-addr', '@fastify/proxy-addr'], m.compile.map((c) => [c.size, ms(c.ours), ms(c.proxyAddr), ms(c.fastify)])),
    '',
    'Whole resolution, ns per request: socket `::ffff:127.0.0.1`, trust `loopback, 10.0.0.0/8`, X-Forwarded-For = client + (hops - 1) trusted 10.x proxies. ' +
      '`walkChain` is what the agent runs per request; `resolveClient` is the public API (also builds `ips` and an object).',
    '',
    table(['hops', 'client', 'walkChain', 'resolveClient', 'proxy-addr', '@fastify/proxy-addr', 'walkChain faster x'], chains, ['r', 'l']),
  ];
  if (m.disagreements.length > 0) {
    lines.push('', `**${m.disagreements.length} cases where the implementations disagreed** (first: ${JSON.stringify(m.disagreements[0])}).`);
  } else {
    lines.push('', 'All implementations gave the same answer on every address timed.');
  }
  return lines.join('\n');
}

function allocSection(a) {
  const rows = a.rows.map((r) => [r.what, Math.max(0, r.bytesPerOp).toFixed(1), r.gcDuring, r.expect]);
  return [
    '## 3. Allocation',
    '',
    `Bytes allocated per operation: V8 used_heap_size before and after a loop (forced GC before it, a 128 MiB young generation so nothing is collected inside it), ` +
      `differenced between ${num(a.settings.iterations)} and ${num(2 * a.settings.iterations)} iterations so one-off costs cancel. A "GCs inside" above 0 would make the figure unreliable.`,
    '',
    table(['operation', 'bytes/op', 'GCs inside', 'expected'], rows, ['l', 'r', 'r', 'l']),
  ].join('\n');
}

function limiterSection(l) {
  const rows = l.rows.map((r) => [num(r.maxClients), r.input, num(r.clients), num(r.nsPerOp), num(r.slots), num(r.held), bytes(r.heapGrowth), bytes(r.arrayBufferGrowth), bytes(r.rssGrowth)]);
  return [
    '## 4. Limiter at scale',
    '',
    `${num(l.settings.clients)} distinct clients (half IPv4, half IPv6 in distinct /56s), each taking one token. Memory after forced GCs, before and after; the table lives in typed arrays (array buffers), not on the JS heap.`,
    '',
    table(['maxClients', 'input', 'clients', 'ns/op', 'slots', 'held at end', 'JS heap growth', 'array buffers growth', 'RSS growth'], rows, ['r', 'l']),
  ].join('\n');
}

function redisSection(r) {
  const s = r.settings;
  const head = ['## 5. Redis store', ''];
  if (r.skipped) {
    return [...head, `**!!! SKIPPED: ${r.skipped}.** Install redis-server to measure the Redis store.`].join('\n');
  }
  const dash = (v, f) => (v === null || v === undefined ? '-' : f(v));
  const rows = r.rows.map((x) => [
    x.name,
    num(x.rps),
    ratio(x.ratio),
    `${x.pairedMin.toFixed(2)}-${x.pairedMax.toFixed(2)}`,
    ms(x.p50),
    ms(x.p99),
    x.errors,
    x.non2xx,
    Number.isFinite(x.agentCpuUs) ? x.agentCpuUs.toFixed(0) : 'n/a',
    x.store === 'redis' ? (Number.isFinite(x.redisCpuUs) ? x.redisCpuUs.toFixed(0) : 'n/a') : '-',
    dash(x.takesPerRequest, (v) => v.toFixed(2)),
    dash(x.keys, num),
  ]);
  const by = Object.fromEntries(r.rows.map((x) => [x.name, x]));
  const lines = [
    ...head,
    `Redis ${r.redisVersion} on loopback (no persistence); agents as the \`agent\` row of part 1 (trust list, limiter on with capacity and refill 10^9, \`/health/live\` not exempt, one log line per request to a file), ` +
      `the redis rows with \`--rate-limit-redis\` pointing at that one Redis. ${s.rounds} rounds of ${s.roundSeconds} s per row (at most ${num(s.roundRequests)} requests), after one ${s.warmupSeconds} s warm-up round per row that is thrown away; ` +
      `autocannon with ${s.connections} connections in all, pipelining 1, same request pool (${r.poolSize} X-Forwarded-For chains). ` +
      'Two agents: both driven at once by two autocannon instances in the same load-generator process, half the connections each; req/s is their sum, p50/p99 the worse of the two.',
    '',
    table(
      ['configuration', 'req/s (median)', 'x memory', 'x memory per round', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'agent CPU us/req', 'redis CPU us/req', 'Redis takes/req', 'Redis keys'],
      rows,
      ['l'],
    ),
    '',
  ];
  const one = by['memory, 1 agent'];
  const two = by['memory, 2 agents'];
  const r1 = by['redis, 1 agent'];
  const r2 = by['redis, 2 agents'];
  if (one && two && r1 && r2) {
    lines.push(`redis / memory: ${ratio(r1.ratio)} with one agent, ${ratio(r2.ratio)} with two. Two agents / one agent: memory ${ratio(two.rps / one.rps)}, redis ${ratio(r2.rps / r1.rps)}.`);
  }
  const redisRows = r.rows.filter((x) => x.store === 'redis');
  lines.push(
    `Redis keys right after the last round of each redis row: ${redisRows.map((x) => `${x.name} ${num(x.keys)}`).join(', ')} (one key per client of the pool of ${r.poolSize} that took a token in the last second; ` +
      'with a refill of 10^9/s a key expires about 1 s after its last take). "Redis takes/req": times Redis ran the take script in the measured rounds over the responses the agents sent (1.00: every request was limited through Redis).',
  );
  const bad = [];
  for (const x of r.rows) {
    if (x.non2xx > 0 || x.errors > 0) bad.push(`${x.name}: ${x.errors} errors, ${x.non2xx} non-2xx (the limiter must refuse nothing here)`);
    if (x.store === 'redis' && !(x.keys > 0)) bad.push(`${x.name}: no keys in Redis after the round`);
    if (x.store === 'redis' && !(x.takesPerRequest >= 0.99)) bad.push(`${x.name}: only ${dash(x.takesPerRequest, (v) => v.toFixed(2))} takes in Redis per request (store down, requests served unlimited?)`);
  }
  for (const w of r.agentWarnings ?? []) bad.push(w);
  if (bad.length > 0) lines.push('', `**The Redis part is not valid:** ${bad.join('; ')}.`);
  lines.push(
    `Log lines per request over all four agents: ${r.linesPerRequest.toFixed(2)}. ` +
      `Other load on the machine during the rounds (CPU used by neither the load generator, nor the agents of the row, nor Redis): median ${pct(r.foreignCpuMedian)}, worst round ${pct(r.foreignCpuMax)} of all CPUs.`,
  );
  return lines.join('\n');
}

/** Each target from the issue: [target, measured, met]. */
export function targets(results) {
  const out = [];
  const h = results.http;
  if (h) {
    const by = Object.fromEntries(h.rows.map((r) => [r.name, r]));
    out.push(['agent with per-request logging >= 0.75x bare req/s', ratio(by.agent?.ratio), by.agent?.ratio >= 0.75]);
    out.push(['agent with logging at warn >= 0.9x bare req/s', ratio(by['agent-warn']?.ratio), by['agent-warn']?.ratio >= 0.9]);
    const f = by.agent && by.fastify ? by.agent.rps / by.fastify.rps : NaN;
    const e = by.agent && by.express ? by.agent.rps / by.express.rps : NaN;
    out.push(['agent >= 1.5x Fastify (same configuration)', ratio(f), f >= 1.5]);
    out.push(['agent >= 3x Express (same configuration)', ratio(e), e >= 3]);
  }
  const m = results.matcher;
  if (m) {
    const at10 = m.matcher.filter((r) => r.size === 10);
    if (at10.length > 0) {
      const worst = Math.min(...at10.map((r) => r.proxyAddr / r.ours));
      out.push(['matcher >= 10x faster than proxy-addr at 10 entries (slowest case)', ratio(worst), worst >= 10]);
    }
    const largest = Math.max(...m.matcher.map((r) => r.size));
    if (largest >= 10_000) {
      const kinds = [...new Set(m.matcher.map((r) => r.kind))];
      const growth = kinds.map((kind) => {
        const base = m.matcher.find((r) => r.kind === kind && r.size === baseSize(m.matcher, kind));
        const big = m.matcher.find((r) => r.kind === kind && r.size === largest);
        return { kind, g: big.ours / base.ours };
      });
      const worst = growth.reduce((a, b) => (b.g > a.g ? b : a));
      out.push([`10,000 entries <= 2x the cost of the smallest list (worst case: ${worst.kind})`, ratio(worst.g), worst.g <= 2]);
    }
  }
  const a = results.alloc;
  if (a) {
    const noHeader = a.rows.filter((r) => r.what.includes('no header'));
    const worstNo = Math.max(...noHeader.map((r) => r.bytesPerOp));
    out.push(['0 bytes per resolution without a forwarding header', `${Math.max(0, worstNo).toFixed(1)} B`, worstNo < 0.5 && noHeader.every((r) => r.gcDuring === 0)]);
    const v4 = a.rows.filter((r) => /X-Forwarded-For, \d+ hops?, IPv4 client$/.test(r.what));
    const worstV4 = Math.max(...v4.map((r) => r.bytesPerOp));
    out.push(['forwarded IPv4 chains: only the result string (<= 32 B)', `${worstV4.toFixed(1)} B`, worstV4 <= 32.5 && v4.every((r) => r.gcDuring === 0)]);
    const take = a.rows.filter((r) => r.what.startsWith('take(), existing'));
    const worstTake = Math.max(...take.map((r) => r.bytesPerOp));
    out.push(['0 bytes per limiter check on an existing bucket', `${Math.max(0, worstTake).toFixed(1)} B`, worstTake < 0.5 && take.every((r) => r.gcDuring === 0)]);
  }
  const l = results.limiter;
  if (l) {
    const r = l.rows.filter((x) => x.maxClients === 100_000);
    if (r.length > 0 && r[0].clients >= 1_000_000) {
      const worst = Math.max(...r.map((x) => x.heapGrowth + x.arrayBufferGrowth));
      out.push(['1,000,000 clients, maxClients 100,000: heap growth < 32 MiB (JS heap + table buffers)', bytes(worst), worst < 32 * MiB]);
    }
  }
  return out;
}

export function render(results) {
  const meta = results.meta;
  const parts = [
    `# Benchmark run: ${meta.mode}`,
    '',
    `${meta.date} - Node ${meta.node} (V8 ${meta.v8}), ${meta.os}, ${meta.cpus} x ${meta.cpu}, ${meta.memoryGiB} GiB; agent ${meta.agentVersion}; ` +
      `load average ${meta.loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${meta.loadAfter.map((x) => x.toFixed(2)).join(' ')} after; took ${Math.round(meta.seconds)} s.`,
    '',
    `Compared with: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
  ];
  if (meta.mode === 'tiny') parts.push('', '**tiny mode: a smoke run, the numbers mean nothing.**');
  if (results.http) parts.push('', httpSection(results.http));
  if (results.matcher) parts.push('', matcherSection(results.matcher));
  if (results.alloc) parts.push('', allocSection(results.alloc));
  if (results.limiter) parts.push('', limiterSection(results.limiter));
  if (results.redis) parts.push('', redisSection(results.redis));
  const t = targets(results);
  if (t.length > 0) {
    parts.push('', '## Targets', '', table(['target', 'measured', 'met'], t.map(([what, measured, met]) => [what, measured, met ? 'yes' : '**no**']), ['l', 'r', 'l']));
  }
  return parts.join('\n');
}
