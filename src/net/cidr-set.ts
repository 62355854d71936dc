// A compiled set of CIDR blocks whose lookup cost does not depend on how many blocks it holds.
//
// Per family, the blocks are made disjoint and bucketed by 16 address bits taken just below the prefix
// every block shares (for a loopback-only list that is bits 8..23; for a long mixed list usually the top
// 16 bits). A bucket is either empty, fully covered (-1), or a short sorted run of narrower blocks that
// is binary-searched. Ten thousand /24s spread over many buckets cost the same as one /8: one table
// read and one masked compare.
import { V4, V6, words } from './address.js';
import { bitsOf, maskOf, type Cidr } from './cidr.js';

const FULL = -1;
const BUCKET_BITS = 16;
const BUCKETS = 1 << BUCKET_BITS;

interface FamilyTable {
  /** Bits every block shares, checked before the bucket read. */
  readonly shared: number;
  readonly sharedNet: Uint32Array;
  readonly sharedMask: Uint32Array;
  /** Per bucket: FULL, or the run [from, to) of `nets`/`masks` entries (words per entry: 1 or 4). */
  readonly from: Int32Array;
  readonly to: Int32Array;
  readonly nets: Uint32Array;
  readonly masks: Uint32Array;
}

export interface CidrSet {
  /** The blocks after merging, IPv4 first, for describing the set to operators. */
  readonly blocks: readonly Cidr[];
  readonly v4: FamilyTable | null;
  readonly v6: FamilyTable | null;
}

/** Sorted, with every block that lies inside another one removed (CIDRs are nested or disjoint). */
function disjoint(blocks: Cidr[]): Cidr[] {
  const sorted = [...blocks].sort((a, b) => (a.net < b.net ? -1 : a.net > b.net ? 1 : a.len - b.len));
  const kept: Cidr[] = [];
  for (const block of sorted) {
    const last = kept[kept.length - 1];
    if (last && (block.net & maskOf(block.family, last.len)) === last.net) continue;
    kept.push(block);
  }
  return kept;
}

function commonPrefix(blocks: Cidr[], bits: number): number {
  let shared = Math.min(...blocks.map((b) => b.len));
  const first = blocks[0].net;
  for (const block of blocks) {
    while (shared > 0 && (block.net & maskOf(blocks[0].family, shared)) !== (first & maskOf(blocks[0].family, shared))) shared--;
  }
  return Math.min(shared, bits - BUCKET_BITS);
}

function toWords(value: bigint, perEntry: number, into: Uint32Array, at: number): void {
  for (let k = 0; k < perEntry; k++) into[at + k] = Number((value >> BigInt(32 * (perEntry - 1 - k))) & 0xffffffffn);
}

function buildFamily(blocks: Cidr[]): FamilyTable | null {
  if (blocks.length === 0) return null;
  const family = blocks[0].family;
  const bits = bitsOf(family);
  const perEntry = bits / 32;
  const shared = commonPrefix(blocks, bits);
  const low = BigInt(bits - shared - BUCKET_BITS);
  const bucketOf = (value: bigint) => Number((value >> low) & BigInt(BUCKETS - 1));

  const from = new Int32Array(BUCKETS);
  const to = new Int32Array(BUCKETS);
  const narrow: Cidr[] = [];
  for (const block of blocks) {
    const span = shared + BUCKET_BITS - block.len;
    if (span < 0) {
      narrow.push(block);
      continue;
    }
    const first = bucketOf(block.net);
    for (let b = first; b < first + 2 ** span; b++) from[b] = FULL;
  }
  // `blocks` is sorted, so the narrow blocks of each bucket are contiguous and in order.
  const nets = new Uint32Array(narrow.length * perEntry);
  const masks = new Uint32Array(narrow.length * perEntry);
  narrow.forEach((block, i) => {
    toWords(block.net, perEntry, nets, i * perEntry);
    toWords(maskOf(family, block.len), perEntry, masks, i * perEntry);
    const b = bucketOf(block.net);
    if (to[b] === 0) from[b] = i;
    to[b] = i + 1;
  });

  const sharedNet = new Uint32Array(4);
  const sharedMask = new Uint32Array(4);
  toWords(blocks[0].net & maskOf(family, shared), 4, sharedNet, 0);
  toWords(maskOf(family, shared), 4, sharedMask, 0);
  return { shared, sharedNet, sharedMask, from, to, nets, masks };
}

export function buildCidrSet(blocks: readonly Cidr[]): CidrSet {
  const v4 = disjoint(blocks.filter((b) => b.family === 4));
  const v6 = disjoint(blocks.filter((b) => b.family === 6));
  return { blocks: [...v4, ...v6], v4: buildFamily(v4), v6: buildFamily(v6) };
}

function has4(t: FamilyTable): boolean {
  const a = words[3];
  if (((a & t.sharedMask[3]) >>> 0) !== t.sharedNet[3]) return false;
  const bucket = (a << t.shared) >>> (32 - BUCKET_BITS);
  let lo = t.from[bucket];
  if (lo === FULL) return true;
  const first = lo;
  let hi = t.to[bucket];
  // The candidate is the last block whose network is <= a; blocks are disjoint, so it is the only one.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t.nets[mid] <= a) lo = mid + 1;
    else hi = mid;
  }
  return lo > first && ((a & t.masks[lo - 1]) >>> 0) === t.nets[lo - 1];
}

/** Compares the scratch address with the 4-word network at nets[at]. */
function compare6(nets: Uint32Array, at: number): number {
  for (let k = 0; k < 4; k++) {
    const w = words[k];
    const n = nets[at + k];
    if (w !== n) return w < n ? -1 : 1;
  }
  return 0;
}

function has6(t: FamilyTable): boolean {
  for (let k = 0; k < 4; k++) if (((words[k] & t.sharedMask[k]) >>> 0) !== t.sharedNet[k]) return false;
  const word = t.shared >>> 5;
  const shift = t.shared & 31;
  // 16 bits starting at bit `shared`, which may straddle two words (at shared = 112 they do not).
  const next = word < 3 ? words[word + 1] : 0;
  const top = shift === 0 ? words[word] : ((words[word] << shift) | (next >>> (32 - shift))) >>> 0;
  const bucket = top >>> (32 - BUCKET_BITS);
  let lo = t.from[bucket];
  if (lo === FULL) return true;
  const first = lo;
  let hi = t.to[bucket];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare6(t.nets, mid * 4) >= 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo === first) return false;
  const at = (lo - 1) * 4;
  for (let k = 0; k < 4; k++) if (((words[k] & t.masks[at + k]) >>> 0) !== t.nets[at + k]) return false;
  return true;
}

/** Whether the address in the scratch words (of the given family) lies in the set. */
export function setHas(set: CidrSet, family: number): boolean {
  if (family === V4) return set.v4 !== null && has4(set.v4);
  if (family === V6) return set.v6 !== null && has6(set.v6);
  return false;
}
