// Who a bucket belongs to: an IPv4 address, or an IPv6 address cut to the configured prefix (one
// subscriber usually holds a whole /56, and would otherwise get a fresh bucket per address).
import { V4, V6, words } from '../net/address.js';
import { canonicalText } from '../net/format.js';

export function prefixMask(bits: number): Uint32Array {
  const mask = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const n = Math.max(0, Math.min(32, bits - 32 * k));
    mask[k] = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  }
  return mask;
}

/** Text key of the client in the scratch words, for stores keyed by strings. Clobbers the words. */
export function clientKeyText(family: number, ip: string, mask: Uint32Array): string {
  if (family === V4) return ip;
  for (let k = 0; k < 4; k++) words[k] = (words[k] & mask[k]) >>> 0;
  return canonicalText(V6, '', 0, 0);
}
