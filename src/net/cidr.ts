// Configuration-time parsing of one address entry ("10.0.0.1", "10.0.0.0/8", "10.0.0.0/255.0.0.0",
// "2001:db8::/32", "::ffff:10.0.0.0/104") into CIDR blocks. Runs once at start-up, so clarity beats speed
// here; it uses the same address parser as the request path so that both agree on what an address is.
import ipaddr from 'ipaddr.js';
import { parseIp, V4, V6, words, NONE } from './address.js';
import { canonicalText } from './format.js';

export interface Cidr {
  readonly family: 4 | 6;
  /** Network address, host bits cleared: 32 bits for IPv4, 128 for IPv6. */
  readonly net: bigint;
  readonly len: number;
}

export function bitsOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function scratchValue(family: number): bigint {
  if (family === V4) return BigInt(words[3]);
  return (BigInt(words[0]) << 96n) | (BigInt(words[1]) << 64n) | (BigInt(words[2]) << 32n) | BigInt(words[3]);
}

export function maskOf(family: 4 | 6, len: number): bigint {
  const bits = bitsOf(family);
  return len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
}

export function cidr(family: 4 | 6, value: bigint, len: number): Cidr {
  return { family, net: value & maskOf(family, len), len };
}

const MAPPED_NET = 0xffffn << 32n;

/**
 * A block inside ::ffff:0:0/96 is written over IPv4-mapped addresses, which the request path folds to
 * IPv4, so it becomes the IPv4 block it means. A wider IPv6 block (::/0, ::/64) stays IPv6 only: it
 * contains the mapped range on paper, but nobody writing it means "and every IPv4 address too".
 */
function withMappedPart(block: Cidr): Cidr {
  if (block.family === 4 || block.len < 96 || block.net >> 32n !== 0xffffn) return block;
  return cidr(4, block.net & 0xffffffffn, block.len - 96);
}

function parsePrefix(text: string, family: 4 | 6, entry: string): number {
  const bits = bitsOf(family);
  const name = family === 4 ? 'IPv4' : 'IPv6';
  if (/^\d{1,3}$/.test(text)) {
    const len = Number(text);
    if (len > bits) throw new Error(`invalid prefix length ${len} for ${name} in "${entry}" (0..${bits})`);
    return len;
  }
  if (family === 4 && ipaddr.IPv4.isValidFourPartDecimal(text)) {
    const len = ipaddr.IPv4.parse(text).prefixLengthFromSubnetMask();
    if (len === null) throw new Error(`netmask ${text} is not contiguous in "${entry}"`);
    return len;
  }
  throw new Error(`invalid prefix length "${text}" in "${entry}"`);
}

/** One entry to the CIDR blocks it stands for. Throws an Error whose message names the entry. */
export function parseCidrEntry(entry: string): Cidr[] {
  const slash = entry.indexOf('/');
  const addrText = slash < 0 ? entry : entry.slice(0, slash);
  if (addrText.includes('%')) throw new Error(`zone ids are not allowed in "${entry}"`);
  const family = parseIp(addrText, 0, addrText.length);
  if (family === NONE) {
    const what = slash < 0 ? 'an IP address, CIDR or range name' : 'an IP address';
    throw new Error(`"${addrText}" is not ${what}${slash < 0 ? '' : ` in "${entry}"`}`);
  }
  const value = scratchValue(family);
  // A mapped address parses as IPv4, but a prefix written after it counts IPv6 bits.
  const writtenV6 = addrText.includes(':');
  const fam: 4 | 6 = family === V6 || writtenV6 ? 6 : 4;
  const full = fam === 6 && family === V4 ? MAPPED_NET | value : value;
  const len = slash < 0 ? bitsOf(fam) : parsePrefix(entry.slice(slash + 1), fam, entry);
  return [withMappedPart(cidr(fam, full, len))];
}

export function formatCidr(block: Cidr): string {
  for (let k = 0; k < 4; k++) words[k] = Number((block.net >> BigInt(96 - 32 * k)) & 0xffffffffn);
  return `${canonicalText(block.family === 4 ? V4 : V6, '', 0, 0)}/${block.len}`;
}
