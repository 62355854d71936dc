// Part 4: the bucket table at scale. A million distinct clients (half IPv4, half IPv6 in distinct /56s)
// go through take(), first with their addresses written straight into the parser's scratch words (the
// table alone), then as text through parseIp (what the request path does after the walk). Heap and RSS
// are read before and after, each after a forced GC, for several maxClients values: the table's memory
// follows maxClients, not the number of clients seen.
import { parseIp, words } from '../../dist/net/address.js';
import { BucketTable } from '../../dist/limit/bucket-table.js';

const MiB = 1024 * 1024;

/** After two forced GCs and a pause, so that freed array buffers are really gone from the figures. */
async function memory() {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.arrayBuffers, rss: m.rss };
}

/** Client i: even i an IPv4 address from 11.0.0.0 up, odd i an IPv6 /56 from 2001:db8:0:0 up. */
function setClient(i) {
  const k = i >>> 1;
  if ((i & 1) === 0) {
    words[0] = 0;
    words[1] = 0;
    words[2] = 0;
    words[3] = 0x0b000000 + k;
    return 4;
  }
  words[0] = 0x20010db8;
  words[1] = (k << 8) >>> 0;
  words[2] = 0;
  words[3] = 1;
  return 6;
}

function clientText(i) {
  const k = i >>> 1;
  if ((i & 1) === 0) {
    const v = 0x0b000000 + k;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const w = (k << 8) >>> 0;
  return `2001:db8:${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}::1`;
}

export async function run(mode, settings, log = () => {}) {
  if (typeof globalThis.gc !== 'function') throw new Error('limiter needs node --expose-gc');
  const clients = settings.clients;
  const rows = [];
  for (const maxClients of settings.maxClients) {
    for (const input of ['scratch words', 'text + parseIp']) {
      const before = await memory();
      // Deadline: a stuck run stops early and says how far it got.
      const deadline = performance.now() + 60_000;
      let table = new BucketTable({ capacity: 100, refillPerSecond: 10, ipv6Prefix: 56, maxClients });
      let allowed = 0;
      let done = 0;
      const t = process.hrtime.bigint();
      if (input === 'scratch words') {
        for (; done < clients; done++) {
          if (table.take(setClient(done), done)) allowed++;
          if ((done & 0xffff) === 0 && performance.now() > deadline) break;
        }
      } else {
        for (; done < clients; done++) {
          const text = clientText(done);
          if (table.take(parseIp(text, 0, text.length), done)) allowed++;
          if ((done & 0xffff) === 0 && performance.now() > deadline) break;
        }
      }
      const ns = Number(process.hrtime.bigint() - t) / done;
      const after = await memory();
      rows.push({
        maxClients,
        input,
        clients: done,
        nsPerOp: ns,
        slots: table.slots,
        held: table.size,
        heapGrowth: after.heapUsed - before.heapUsed,
        arrayBufferGrowth: after.external - before.external,
        rssGrowth: after.rss - before.rss,
        allowed,
      });
      log(`maxClients ${maxClients}, ${input}: ${ns.toFixed(0)} ns/op, heap +${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB, array buffers +${((after.external - before.external) / MiB).toFixed(1)} MiB`);
      // Alive until the reading above, gone before the next one.
      table = null;
    }
  }
  return { settings, rows };
}
