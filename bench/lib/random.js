// A seeded generator (mulberry32) so every run draws the same addresses and the same request pool.
export function rng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (next, n) => Math.floor(next() * n);

/** A public-looking IPv4 address: never 0/8, 10/8, 127/8 or multicast and above. */
export function publicV4(next) {
  let a;
  do a = 1 + int(next, 223);
  while (a === 10 || a === 127);
  return `${a}.${int(next, 256)}.${int(next, 256)}.${1 + int(next, 254)}`;
}

const group = (next) => (1 + int(next, 0xffff)).toString(16);

/**
 * A global unicast IPv6 address in canonical (RFC 5952) text: either eight non-zero groups, or four
 * non-zero groups, '::', one group (the compressed run is three groups long, so '::' is the right form).
 */
export function publicV6(next) {
  const head = `2${int(next, 0xfff).toString(16).padStart(3, '0')}:${group(next)}:${group(next)}:${group(next)}`;
  return next() < 0.5 ? `${head}::${group(next)}` : `${head}:${group(next)}:${group(next)}:${group(next)}:${group(next)}`;
}

export function privateV4(next) {
  return `10.${int(next, 256)}.${int(next, 256)}.${1 + int(next, 254)}`;
}
