// Allocation-free IP address parsing. The parsers read a range of a string and leave the address in
// module-level scratch words, returning only a family code, so the per-request path creates no objects.
// IPv4-mapped IPv6 (::ffff:a.b.c.d) is folded to IPv4 here, once, so every later stage sees one form.

/** The parsed address, most significant word first. IPv4 uses words[3] only (the others are 0). */
export const words = new Uint32Array(4);

export const NONE = 0;
export const V4 = 4;
export const V6 = 6;
export type Family = typeof NONE | typeof V4 | typeof V6;

/** Bounds of the address text inside the last string given to parseHop (brackets, port and zone excluded). */
export let textStart = 0;
export let textEnd = 0;

const groups = new Uint16Array(8);

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Dotted quad, decimal, no leading zeros (the form net.isIP accepts). The value goes straight into
 * words[3]: a JS variable would box numbers above 2^30 on every call, a typed array does not.
 */
function scanIPv4(s: string, start: number, end: number): boolean {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const first = i;
    let octet = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const len = i - first;
    if (len === 0 || len > 3 || octet > 255 || (len > 1 && s.charCodeAt(first) === 48)) return false;
    value = value * 256 + octet;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  if (i !== end) return false;
  words[3] = value;
  return true;
}

function isZoneChar(c: number): boolean {
  // The characters Node's net.isIP allows in a zone id: letters, digits, '-', '.', ':'.
  return (c >= 48 && c <= 58) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 45 || c === 46;
}

/** Where the address text of the last IPv6 scan ends (before any zone id). */
let v6end = 0;

/** IPv6 text (optionally with an embedded IPv4 tail and a %zone) into `groups`; returns success. */
function scanIPv6(s: string, start: number, end: number): boolean {
  // A zone id is accepted and ignored: it names an interface on the sender's host, not an address.
  for (let z = start; z < end; z++) {
    if (s.charCodeAt(z) === 37) {
      if (z + 1 === end) return false;
      for (let k = z + 1; k < end; k++) if (!isZoneChar(s.charCodeAt(k))) return false;
      end = z;
      break;
    }
  }
  v6end = end;
  let count = 0;
  let gap = -1;
  let i = start;
  if (end - start < 2) return false;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      groups.fill(0);
      return true;
    }
  }
  for (;;) {
    const first = i;
    let value = 0;
    while (i < end) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = (value << 4) | h;
      i++;
    }
    const len = i - first;
    if (i < end && s.charCodeAt(i) === 46) {
      // An IPv4 tail fills the last two groups and must end the text.
      if (count > 6 || !scanIPv4(s, first, end)) return false;
      groups[count++] = words[3] >>> 16;
      groups[count++] = words[3] & 0xffff;
      i = end;
      break;
    }
    if (len === 0 || len > 4 || count === 8) return false;
    groups[count++] = value;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0) return count === 8;
  if (count > 7) return false;
  // Move the groups after the gap to the end and zero the gap.
  const tail = count - gap;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k];
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return true;
}

/**
 * "::ffff:" (any case) at s[start]: how a dual-stack listener reports every IPv4 peer. With a dotted
 * quad after it, the general IPv6 scan would reach the same IPv4 address; this way costs half.
 */
function isMappedPrefix(s: string, start: number): boolean {
  return (
    s.charCodeAt(start) === 58 &&
    s.charCodeAt(start + 1) === 58 &&
    (s.charCodeAt(start + 2) | 0x20) === 102 &&
    (s.charCodeAt(start + 3) | 0x20) === 102 &&
    (s.charCodeAt(start + 4) | 0x20) === 102 &&
    (s.charCodeAt(start + 5) | 0x20) === 102 &&
    s.charCodeAt(start + 6) === 58
  );
}

/** Parse s[start, end) as a bare IPv4 or IPv6 address (as net.isIP accepts it). */
export function parseIp(s: string, start: number, end: number): Family {
  textStart = start;
  textEnd = end;
  if (scanIPv4(s, start, end) || (end - start > 13 && isMappedPrefix(s, start) && scanIPv4(s, start + 7, end))) {
    words[0] = 0;
    words[1] = 0;
    words[2] = 0;
    return V4;
  }
  if (!scanIPv6(s, start, end)) return NONE;
  textEnd = v6end;
  words[0] = ((groups[0] << 16) | groups[1]) >>> 0;
  words[1] = ((groups[2] << 16) | groups[3]) >>> 0;
  words[2] = ((groups[4] << 16) | groups[5]) >>> 0;
  words[3] = ((groups[6] << 16) | groups[7]) >>> 0;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    words[2] = 0;
    return V4;
  }
  return V6;
}

function isPort(s: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 1 || len > 5) return false;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    value = value * 10 + (c - 48);
  }
  return value <= 65535;
}

/**
 * Parse one forwarding-chain item: a bare address, `a.b.c.d:port`, `[v6]` or `[v6]:port`.
 * Anything else (names, `unknown`, garbage) is NONE.
 */
export function parseHop(s: string, start: number, end: number): Family {
  if (start >= end) return NONE;
  if (s.charCodeAt(start) === 91) {
    let close = start + 1;
    while (close < end && s.charCodeAt(close) !== 93) close++;
    if (close === end) return NONE;
    if (close + 1 < end && (s.charCodeAt(close + 1) !== 58 || !isPort(s, close + 2, end))) return NONE;
    // Brackets are for IPv6 text only; "[1.2.3.4]" is not an address form anyone sends.
    if (scanIPv4(s, start + 1, close)) return NONE;
    return parseIp(s, start + 1, close);
  }
  const family = parseIp(s, start, end);
  if (family !== NONE) return family;
  // IPv4 with a port: a dotted quad, one colon, digits.
  let colon = start;
  while (colon < end && s.charCodeAt(colon) !== 58) colon++;
  if (colon === end || !isPort(s, colon + 1, end) || !scanIPv4(s, start, colon)) return NONE;
  textStart = start;
  textEnd = colon;
  words[0] = 0;
  words[1] = 0;
  words[2] = 0;
  return V4;
}
