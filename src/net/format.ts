// Canonical address text: dotted quad for IPv4 (and IPv4-mapped IPv6), RFC 5952 for IPv6.
// The canonical form is written into a scratch buffer and compared with the text it came from, so the
// common case (the sender already wrote it canonically) costs one slice, or nothing when it is the whole string.
import { Buffer } from 'node:buffer';
import { V4, words, type Family } from './address.js';

const out = Buffer.alloc(48);
const HEX = '0123456789abcdef';

function writeDecimal(value: number, at: number): number {
  if (value >= 100) out[at++] = 48 + ((value / 100) | 0);
  if (value >= 10) out[at++] = 48 + (((value / 10) | 0) % 10);
  out[at++] = 48 + (value % 10);
  return at;
}

function writeHexGroup(value: number, at: number): number {
  let shift = 12;
  while (shift > 0 && value >>> shift === 0) shift -= 4;
  for (; shift >= 0; shift -= 4) out[at++] = HEX.charCodeAt((value >>> shift) & 15);
  return at;
}

function group(k: number): number {
  return k & 1 ? words[k >>> 1] & 0xffff : words[k >>> 1] >>> 16;
}

/** Writes the scratch address canonically into `out`; returns the length. */
function render(family: Family): number {
  let at = 0;
  if (family === V4) {
    const v = words[3];
    at = writeDecimal(v >>> 24, at);
    out[at++] = 46;
    at = writeDecimal((v >>> 16) & 255, at);
    out[at++] = 46;
    at = writeDecimal((v >>> 8) & 255, at);
    out[at++] = 46;
    return writeDecimal(v & 255, at);
  }
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (group(k) !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && group(j) === 0) j++;
    if (j - k > bestLen) {
      bestStart = k;
      bestLen = j - k;
    }
    k = j;
  }
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out[at++] = 58;
      out[at++] = 58;
      k += bestLen - 1;
      continue;
    }
    if (k > 0 && k !== bestStart + bestLen) out[at++] = 58;
    at = writeHexGroup(group(k), at);
  }
  return at;
}

/**
 * The canonical text of the scratch address, which was parsed from s[start, end).
 * Pass start = end = 0 when there is no source text to reuse.
 */
export function canonicalText(family: Family, s: string, start: number, end: number): string {
  const len = render(family);
  if (len === end - start) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (out[i] !== s.charCodeAt(start + i)) {
        same = false;
        break;
      }
    }
    if (same) return start === 0 && end === s.length ? s : s.slice(start, end);
  }
  return out.toString('latin1', 0, len);
}
