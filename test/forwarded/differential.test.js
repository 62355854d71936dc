// Differential test: our resolveClient against Express's resolution (proxy-addr, with Express's own
// trust compilation) on generated trust settings and X-Forwarded-For chains. Every case must agree, or
// fall into one of the named divergence classes that docs/trust-proxy.md explains.
// Replay a failure with DIFF_SEED=<seed> node test/forwarded/differential.test.js
import { isIP } from 'node:net';
import fc from 'fast-check';
import proxyaddr from 'proxy-addr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTrust, resolveClient } from '../../dist/index.js';
import { canonicalText } from '../../dist/net/format.js';
import { parseIp, NONE } from '../../dist/net/address.js';

const TRUST_SETTINGS = 1000;
const CHAINS_PER_SETTING = 100;
const seed = Number(process.env.DIFF_SEED ?? Date.now() % 2 ** 31);

const canonical = (text) => {
  const family = parseIp(text, 0, text.length);
  return family === NONE ? null : canonicalText(family, text, 0, text.length);
};

// ---- generators -------------------------------------------------------------------------------

const octet = fc.integer({ min: 0, max: 255 });
const v4 = fc.oneof(
  fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
  fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
  fc.tuple(fc.integer({ min: 14, max: 33 }), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
  fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
  fc.tuple(octet, octet).map(([c, d]) => `169.254.${c}.${d}`),
  fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
);
const group = fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 0xffff }));
const v6groups = fc.oneof(
  fc.tuple(fc.constantFrom(0x2001), fc.constantFrom(0xdb8), fc.array(group, { minLength: 6, maxLength: 6 })).map(([a, b, rest]) => [a, b, ...rest]),
  fc.array(group, { minLength: 6, maxLength: 6 }).map((rest) => [0xfe80, 0, ...rest]),
  fc.array(group, { minLength: 7, maxLength: 7 }).map((rest) => [0xfd00, ...rest]),
  fc.constant([0, 0, 0, 0, 0, 0, 0, 1]),
  fc.array(group, { minLength: 8, maxLength: 8 }),
);
/** IPv6 text in the spellings senders use: full, leading zeros, compressed, upper case, zone id. */
const v6 = fc.tuple(v6groups, fc.nat(4), fc.boolean(), fc.boolean()).map(([groups, style, upper, zone]) => {
  let parts = groups.map((g) => g.toString(16));
  if (style === 1) parts = parts.map((p) => p.padStart(4, '0'));
  let text = parts.join(':');
  if (style >= 2) {
    // Compress the first run of zero groups (not always the longest: both spellings are valid).
    const start = groups.indexOf(0);
    if (start >= 0) {
      let end = start;
      while (end < 8 && groups[end] === 0) end++;
      text = `${parts.slice(0, start).join(':')}::${parts.slice(end).join(':')}`;
    }
  }
  if (upper) text = text.toUpperCase();
  if (zone && text.toLowerCase().startsWith('fe80')) text += '%eth0';
  return text;
});
const mapped = fc.tuple(v4, fc.nat(2)).map(([a, style]) => {
  if (style === 0) return `::ffff:${a}`;
  if (style === 1) return `0:0:0:0:0:FFFF:${a}`;
  const [p, q, r, s] = a.split('.').map(Number);
  return `::ffff:${((p << 8) | q).toString(16)}:${((r << 8) | s).toString(16)}`;
});
const address = fc.oneof({ weight: 5, arbitrary: v4 }, { weight: 3, arbitrary: v6 }, { weight: 1, arbitrary: mapped });
const port = fc.integer({ min: 0, max: 70000 });
const garbage = fc.oneof(
  fc.constantFrom('unknown', '_hidden', 'localhost', '010.0.0.1', '0x7f.0.0.1', '4294967295', '127.1', '[1.2.3.4]', '1.2.3.4.5', '::ffff:1.2.3'),
  fc.string({ maxLength: 12 }),
  fc.tuple(v4, port).map(([a, p]) => `${a}:${p}`),
  fc.tuple(v6, port).map(([a, p]) => `[${a.replace(/%.*/, '')}]:${p}`),
  v6.map((a) => `[${a}]`),
);
const blank = fc.constantFrom('', ' ', '  ', '\t', ' \t');
const item = fc.tuple(blank, fc.oneof({ weight: 8, arbitrary: address }, { weight: 2, arbitrary: garbage }, { weight: 1, arbitrary: fc.constant('') }), blank).map(
  ([l, a, r]) => `${l}${a}${r}`,
);
const chain = fc.option(fc.array(item, { maxLength: 6 }).map((items) => items.join(',')), { nil: undefined, freq: 8 });
const socket = fc.oneof(v4, mapped.map((m) => `::ffff:${canonical(m)}`), fc.constantFrom('::1', '127.0.0.1', '::ffff:127.0.0.1'), v6.map((a) => canonical(a)));

const v4cidr = fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`);
const v6cidr = fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a.replace(/%.*/, '')}/${p}`);
const netmask = fc.tuple(v4, fc.integer({ min: 1, max: 32 })).map(([a, p]) => {
  const m = (0xffffffff << (32 - p)) >>> 0;
  return `${a}/${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}`;
});
const entry = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('loopback', 'linklocal', 'uniquelocal') },
  { weight: 1, arbitrary: fc.constantFrom('Loopback', 'UNIQUELOCAL') },
  { weight: 3, arbitrary: v4 },
  { weight: 2, arbitrary: v6.map((a) => a.replace(/%.*/, '')) },
  { weight: 1, arbitrary: mapped },
  { weight: 3, arbitrary: v4cidr },
  { weight: 2, arbitrary: v6cidr },
  { weight: 1, arbitrary: mapped.map((m) => `${m.startsWith('::ffff:') && m.includes('.') ? m : '::ffff:10.0.0.0'}/${104}`) },
  { weight: 1, arbitrary: netmask },
);
const trustSetting = fc.oneof(
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }) },
  { weight: 6, arbitrary: fc.array(entry, { minLength: 1, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.array(entry, { minLength: 1, maxLength: 4 }).map((list) => list.join(', ')) },
);

// ---- the two implementations ----------------------------------------------------------------

/** Express's `trust proxy` compilation (express/lib/utils.js compileTrust), on top of proxy-addr. */
function expressTrust(value) {
  if (value === true) return () => true;
  if (typeof value === 'number') return (_addr, i) => i < value;
  if (value === false) return proxyaddr.compile([]);
  return proxyaddr.compile(typeof value === 'string' ? value.split(',').map((v) => v.trim()) : value);
}

function express(trustFn, socketAddr, header) {
  const req = { socket: { remoteAddress: socketAddr }, headers: header === undefined ? {} : { 'x-forwarded-for': header } };
  const all = proxyaddr.all(req, trustFn);
  return { ip: all[all.length - 1], ips: all.slice(1).reverse(), all };
}

/**
 * Our documented rules written the plain way (split, regexes, net.isIP), with Express's trust function
 * deciding each hop. Every case must match it exactly: the divergence classes below explain differences
 * from Express's walk, never from this model.
 */
function reference(trustFn, socketAddr, header) {
  const items = header === undefined ? [] : header.split(',').map((s) => s.replace(/^[ \t]+|[ \t]+$/g, '')).filter((s) => s !== '');
  const addressOf = (item) => {
    const bracketed = /^\[([^\]]*)\](?::(\d{1,5}))?$/.exec(item);
    const withPort = /^(\d+\.\d+\.\d+\.\d+):(\d{1,5})$/.exec(item);
    const [text, port] = bracketed ? [bracketed[1], bracketed[2]] : withPort ? [withPort[1], withPort[2]] : [item, undefined];
    if (port !== undefined && Number(port) > 65535) return null;
    if (bracketed && isIP(text) !== 6) return null;
    return isIP(text) === 0 ? null : text;
  };
  let current = socketAddr;
  const ips = [];
  for (let k = items.length - 1, hop = 0; k >= 0; k--, hop++) {
    if (!trustFn(current, hop)) break;
    const next = addressOf(items[k]);
    if (next === null) break;
    ips.unshift(canonical(next));
    current = next;
  }
  return { ip: canonical(current), ips };
}

// ---- classification ---------------------------------------------------------------------------

/** Named divergences, each explained in docs/trust-proxy.md ("Where we differ from Express"). */
export const CLASSES = {
  'config-only-ours': 'a trust entry proxy-addr rejects: /0 prefixes, or upper-case range names',
  'non-address-hop': 'Express walked through or stopped on a chain item that is not an IP address by net.isIP (garbage, ports, brackets, tabs, legacy IPv4 forms)',
  'canonical-text': 'the same client, written canonically by us (RFC 5952, mapped IPv4 as IPv4, no zone id) and as received by Express',
};

function classify(ourTrust, trustFn, socketAddr, header) {
  const ours = resolveClient(ourTrust, { remoteAddress: socketAddr, headers: header === undefined ? {} : { 'x-forwarded-for': header } });
  // Invariants that hold whatever Express does: the answer is a canonical address taken from the socket or the chain.
  assert.ok(isIP(ours.ip) !== 0 && canonical(ours.ip) === ours.ip, `ip ${ours.ip} is a canonical address`);
  const candidates = [socketAddr, ...(header ?? '').split(',').map((s) => s.trim().replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1'))];
  assert.ok(candidates.some((c) => canonical(c) === ours.ip), `ip ${ours.ip} comes from the socket or the chain`);

  if (trustFn === null) return 'config-only-ours';
  const model = reference(trustFn, socketAddr, header);
  assert.equal({ ip: ours.ip, ips: ours.ips }, model, 'ours matches the reference model');
  const theirs = express(trustFn, socketAddr, header);
  if (theirs.ip === ours.ip && JSON.stringify(theirs.ips) === JSON.stringify(ours.ips)) return 'agree';
  if (theirs.all.slice(1).some((a) => isIP(a) === 0)) return 'non-address-hop';
  if (canonical(theirs.ip) === ours.ip && JSON.stringify(theirs.ips.map(canonical)) === JSON.stringify(ours.ips)) return 'canonical-text';
  return `UNEXPLAINED: ours ${JSON.stringify(ours)} vs Express ${JSON.stringify({ ip: theirs.ip, ips: theirs.ips })}`;
}

test(`agrees with Express/proxy-addr on ${TRUST_SETTINGS * CHAINS_PER_SETTING} generated cases, or diverges in a named way`, () => {
  console.log(`differential seed: ${seed} (replay with DIFF_SEED=${seed})`);
  const counts = { agree: 0 };
  let cases = 0;
  let failure = null;
  try {
    fc.assert(
      fc.property(trustSetting, fc.array(fc.tuple(socket, chain), { minLength: CHAINS_PER_SETTING, maxLength: CHAINS_PER_SETTING }), (setting, requests) => {
        const ourTrust = compileTrust(setting);
        let trustFn = null;
        try {
          trustFn = expressTrust(setting);
        } catch {
          // proxy-addr refuses this setting; only the invariants are checked.
        }
        for (const [socketAddr, header] of requests) {
          let verdict;
          try {
            verdict = classify(ourTrust, trustFn, socketAddr, header);
          } catch (err) {
            verdict = `UNEXPLAINED: ${err.message}`;
          }
          if (verdict.startsWith('UNEXPLAINED')) {
            failure ??= `${verdict}\n  trust ${JSON.stringify(setting)}, socket ${socketAddr}, X-Forwarded-For ${JSON.stringify(header)}`;
            return false;
          }
          counts[verdict] = (counts[verdict] ?? 0) + 1;
          cases++;
        }
      }),
      { seed, numRuns: TRUST_SETTINGS, endOnFailure: true },
    );
  } catch (err) {
    // fast-check's own report prints all 100 requests of the run; the one that failed is enough.
    throw new Error(`differential failure (seed ${seed}; replay with DIFF_SEED=${seed}):\n${failure ?? err.message.split('\n')[0]}`);
  }
  console.log(`differential: ${cases} cases: ${JSON.stringify(counts)}`);
  assert.is(cases, TRUST_SETTINGS * CHAINS_PER_SETTING);
  for (const name of Object.keys(counts)) assert.ok(name === 'agree' || name in CLASSES, name);
  // Plain agreement must stay common, or the generators are not exercising the shared behaviour.
  assert.ok(counts.agree > cases / 3, `agreement in ${counts.agree} of ${cases}`);
});

test('the named classes are each documented in docs/trust-proxy.md', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../docs/trust-proxy.md', import.meta.url), 'utf8');
  for (const name of Object.keys(CLASSES)) assert.ok(doc.includes(`\`${name}\``), `docs/trust-proxy.md explains ${name}`);
});

test.run();
