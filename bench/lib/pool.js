// The HTTP benchmark's request pool: 1,000 requests that differ in their X-Forwarded-For chain, so that
// every server resolves and rate-limits many different clients, as it would behind a real proxy.
//
// The socket peer is always loopback (the load generator), which every server trusts. Half the chains
// carry the client alone (one trusted hop: the socket), half add a 10.x proxy (two trusted hops).
// 70% of the clients are IPv4, 30% IPv6, all distinct and written canonically, as proxies write them.
import { privateV4, publicV4, publicV6, rng } from './random.js';

export const TRUST = 'loopback, 10.0.0.0/8';
export const PATH = '/health/live';

export function makePool(size = 1000, seed = 0x1dc0ffee) {
  const next = rng(seed);
  const seen = new Set();
  const pool = [];
  while (pool.length < size) {
    const v6 = next() < 0.3;
    const client = v6 ? publicV6(next) : publicV4(next);
    // IPv6 clients are limited per /56 by the agent: keep their first four groups distinct too.
    const key = v6 ? client.split(':').slice(0, 4).join(':') : client;
    if (seen.has(key)) continue;
    seen.add(key);
    const hops = next() < 0.5 ? 1 : 2;
    const xff = hops === 1 ? client : `${client}, ${privateV4(next)}`;
    pool.push({ client, family: v6 ? 6 : 4, hops, xff });
  }
  return pool;
}
