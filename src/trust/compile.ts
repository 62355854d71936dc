// The trust option, compiled once at start-up into the shape the request path checks per hop.
// Shapes are specialised (none / all / hop count / address set) so the common cases are one comparison.
import { buildCidrSet, setHas, type CidrSet } from '../net/cidr-set.js';
import { formatCidr, parseCidrEntry, type Cidr } from '../net/cidr.js';
import { NAMED_RANGES } from './names.js';

export type TrustOption = boolean | number | string | readonly string[];

export const TRUST_NONE = 0;
export const TRUST_ALL = 1;
export const TRUST_HOPS = 2;
export const TRUST_SET = 3;

export interface CompiledTrust {
  readonly kind: typeof TRUST_NONE | typeof TRUST_ALL | typeof TRUST_HOPS | typeof TRUST_SET;
  /** For TRUST_HOPS: hop i (the socket is hop 0) is trusted when i < hops. */
  readonly hops: number;
  readonly set: CidrSet | null;
  /** What is trusted, in plain words, for start-up logs and `--print-config`. */
  readonly summary: string;
}

/** A bad trust entry. `index` is its position in the list (0 for a single value). */
export class TrustEntryError extends Error {
  constructor(
    readonly index: number,
    readonly entry: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'TrustEntryError';
  }
}

const HOPS_RE = /^\d+$/;

function hopsTrust(hops: number): CompiledTrust {
  const summary = hops === 0 ? 'trusting no proxy (0 hops)' : `trusting the closest ${hops} hop${hops === 1 ? '' : 's'}, whatever their address`;
  return { kind: TRUST_HOPS, hops, set: null, summary };
}

const NONE_TRUST: CompiledTrust = { kind: TRUST_NONE, hops: 0, set: null, summary: 'trusting no proxy: the socket address is the client' };
const ALL_TRUST: CompiledTrust = { kind: TRUST_ALL, hops: 0, set: null, summary: 'trusting every hop: the leftmost forwarded address is the client' };

function entryBlocks(entry: string, index: number): { blocks: Cidr[]; name?: string } {
  if (entry === '') throw new TrustEntryError(index, entry, 'empty entry in the list');
  const name = entry.toLowerCase();
  const named = NAMED_RANGES[name];
  if (named) return { blocks: named.flatMap(parseCidrEntry), name };
  if (name === 'true' || name === 'false' || HOPS_RE.test(entry)) {
    throw new TrustEntryError(index, entry, `"${entry}" must stand alone: true, false and hop counts cannot be combined with other entries`);
  }
  try {
    return { blocks: parseCidrEntry(entry) };
  } catch (err) {
    throw new TrustEntryError(index, entry, (err as Error).message);
  }
}

export interface AddressList {
  readonly set: CidrSet;
  /** The blocks in plain words, names noted: "127.0.0.0/8, ::1/128 (loopback), 10.0.0.0/8". */
  readonly summary: string;
}

/** Range names, addresses and CIDRs, as an array or a comma-separated string; shared by every address option. */
export function compileAddressList(value: string | readonly string[]): AddressList {
  const entries = typeof value === 'string' ? value.split(',') : value;
  const blocks: Cidr[] = [];
  const described: string[] = [];
  entries.forEach((raw, index) => {
    if (typeof raw !== 'string') throw new TrustEntryError(index, String(raw), `entries must be strings, got ${JSON.stringify(raw)}`);
    const parsed = entryBlocks(raw.trim(), index);
    blocks.push(...parsed.blocks);
    const text = parsed.blocks.map(formatCidr).join(', ');
    described.push(parsed.name ? `${text} (${parsed.name})` : text);
  });
  return { set: buildCidrSet(blocks), summary: described.join(', ') };
}

/** rateLimit.allow: an address list where "" and [] mean nobody. */
export function compileAllowList(value: string | readonly string[]): AddressList {
  return compileAddressList(typeof value === 'string' && value.trim() === '' ? [] : value);
}

function compileList(value: string | readonly string[]): CompiledTrust {
  const list = compileAddressList(value);
  return { kind: TRUST_SET, hops: 0, set: list.set, summary: list.summary === '' ? 'trusting no proxy' : `trusting ${list.summary}` };
}

/**
 * Compiles a trust option: false/true, a hop count (integer or digit string), a range name, an address,
 * a CIDR (prefix length or IPv4 netmask), a comma-separated string or an array of those.
 * Throws a TrustEntryError naming the bad entry.
 */
export function compileTrust(value: TrustOption): CompiledTrust {
  if (value === true) return ALL_TRUST;
  if (value === false) return NONE_TRUST;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TrustEntryError(0, String(value), `a hop count must be a whole number >= 0, got ${value}`);
    }
    return hopsTrust(value);
  }
  if (Array.isArray(value)) return compileList(value as readonly string[]);
  if (typeof value !== 'string') {
    throw new TrustEntryError(0, String(value), `expected true, false, a hop count, or address entries, got ${typeof value}`);
  }
  const text = value.trim();
  const lower = text.toLowerCase();
  if (lower === 'true') return ALL_TRUST;
  if (lower === 'false') return NONE_TRUST;
  if (HOPS_RE.test(text)) {
    const hops = Number(text);
    if (!Number.isSafeInteger(hops)) throw new TrustEntryError(0, text, `hop count ${text} is too large`);
    return hopsTrust(hops);
  }
  return compileList(text);
}

/** Trust that lets any peer speak for its clients: true, a hop count, or a /0 block of either family. */
export function trustsAnyPeer(trust: CompiledTrust): boolean {
  if (trust.kind === TRUST_ALL) return true;
  if (trust.kind === TRUST_HOPS) return trust.hops > 0;
  return trust.kind === TRUST_SET && (trust.set as CidrSet).blocks.some((b) => b.len === 0);
}

/** Trust that believes no forwarding header at all: false, 0 hops, or an empty list. */
export function trustsNoPeer(trust: CompiledTrust): boolean {
  if (trust.kind === TRUST_NONE) return true;
  if (trust.kind === TRUST_HOPS) return trust.hops === 0;
  return trust.kind === TRUST_SET && (trust.set as CidrSet).blocks.length === 0;
}

/** Whether hop `hop` (0 = the socket), whose address is in the scratch words, is a trusted proxy. */
export function isTrusted(trust: CompiledTrust, family: number, hop: number): boolean {
  switch (trust.kind) {
    case TRUST_SET:
      return setHas(trust.set as CidrSet, family);
    case TRUST_HOPS:
      return hop < trust.hops;
    case TRUST_ALL:
      return true;
    default:
      return false;
  }
}
