// The forwarding-chain walk: from the socket leftwards through X-Forwarded-For (or Forwarded) while each
// hop is trusted. The header is scanned right to left in place (no split, no per-hop objects); the only
// thing a call allocates is the client string, and not even that when its text is already canonical.
import { NONE, parseHop, parseIp, textEnd, textStart, words, type Family } from '../net/address.js';
import { canonicalText } from '../net/format.js';
import { itemBefore, itemEnd, itemStart } from './items.js';
import { elementBefore, elementKind, ELEMENT_BAD, ELEMENT_EMPTY, forEnd, forStart } from './rfc7239.js';
import { MODE_FORWARDED, MODE_SINGLE, type Mode } from './source.js';
import { isTrusted, type CompiledTrust } from '../trust/compile.js';

/** State of the last walk, read by the caller right after it (single-threaded, so no object is needed). */
export const last = {
  /** Family of the client; the scratch words hold the client's address. */
  family: NONE as Family,
  /** Whether the socket peer is a trusted proxy (gates X-Forwarded-Proto / -Host). */
  peerTrusted: false,
  /**
   * Forwarded addresses accepted: each was vouched for by the trusted hop to its right. The last one is
   * the client. Their bounds are in `reachedAt`, closest first.
   */
  reached: 0,
};

/** [start, end) of each reached header item, closest first. Grows for long chains, then stays. */
let reachedAt = new Int32Array(64);

// Behind a proxy almost every request comes from the same few sockets; on a dual-stack listener their
// addresses read "::ffff:127.0.0.1". The last socket's words, canonical text and trust decision are kept,
// so that case neither parses nor allocates.
let lastSocket = '';
let lastSocketText = '';
let lastSocketFamily: Family = NONE;
const lastSocketWords = new Uint32Array(4);
let lastSocketTrust: CompiledTrust | null = null;
let lastSocketTrusted = false;

/** Leaves the socket's address in the scratch words and returns its family. */
function loadSocket(socket: string): Family {
  if (socket === lastSocket) {
    words[0] = lastSocketWords[0];
    words[1] = lastSocketWords[1];
    words[2] = lastSocketWords[2];
    words[3] = lastSocketWords[3];
    return lastSocketFamily;
  }
  const family = parseIp(socket, 0, socket.length);
  lastSocketText = canonicalText(family, socket, textStart, textEnd);
  lastSocketWords.set(words);
  lastSocketFamily = family;
  lastSocketTrust = null;
  lastSocket = socket;
  return family;
}

/** Whether the socket just loaded is a trusted proxy (hop 0): decided once per socket and trust. */
function socketTrusted(trust: CompiledTrust, family: Family): boolean {
  if (trust !== lastSocketTrust) {
    lastSocketTrusted = isTrusted(trust, family, 0);
    lastSocketTrust = trust;
  }
  return lastSocketTrusted;
}

function record(index: number, start: number, end: number): void {
  if (index * 2 + 1 >= reachedAt.length) {
    const grown = new Int32Array(reachedAt.length * 2);
    grown.set(reachedAt);
    reachedAt = grown;
  }
  reachedAt[index * 2] = start;
  reachedAt[index * 2 + 1] = end;
}

/**
 * Resolves the client address. `socket` must be a valid IP address (what Node reports as remoteAddress);
 * `header` is the value of the configured client header, several lines already joined by ", " (as Node
 * joins them), read as `mode` says.
 */
export function walkChain(trust: CompiledTrust, socket: string, header: string | undefined, mode: Mode): string {
  let family = loadSocket(socket);
  const peerTrusted = socketTrusted(trust, family);
  last.peerTrusted = peerTrusted;
  last.reached = 0;
  if (!peerTrusted || header === undefined || header.length === 0) {
    last.family = family;
    return lastSocketText;
  }

  let reached = 0;
  let clientStart = -1;
  let clientEnd = -1;
  let wordsHoldClient = true;
  let end = header.length;
  while (end >= 0) {
    let start: number;
    let stop: number;
    if (mode === MODE_FORWARDED) {
      end = elementBefore(header, end);
      if (elementKind === ELEMENT_EMPTY) continue;
      start = forStart;
      stop = elementKind === ELEMENT_BAD ? forStart : forEnd;
    } else {
      end = itemBefore(header, end);
      start = itemStart;
      stop = itemEnd;
      if (start === stop) continue;
    }
    const hopFamily = start === stop ? NONE : parseHop(header, start, stop);
    if (hopFamily === NONE) {
      // Not an address: the walk stops and the client is the last address reached, never this text.
      wordsHoldClient = false;
      break;
    }
    record(reached, start, stop);
    reached++;
    family = hopFamily;
    clientStart = textStart;
    clientEnd = textEnd;
    // A single-address header is one hop: the peer vouches for it, and nothing lies beyond it.
    if (mode === MODE_SINGLE || !isTrusted(trust, hopFamily, reached)) break;
  }
  last.reached = reached;

  if (reached === 0) {
    family = loadSocket(socket);
    last.family = family;
    return lastSocketText;
  }
  if (!wordsHoldClient) family = parseHop(header, reachedAt[reached * 2 - 2], reachedAt[reached * 2 - 1]);
  last.family = family;
  return canonicalText(family, header, clientStart, clientEnd);
}

/**
 * The addresses the last walk reached, furthest (the client) first, closest proxy last: Express's
 * `req.ips` order. Allocates; for diagnostics and the public API, not the request path.
 */
export function reachedAddresses(header: string): string[] {
  const ips: string[] = [];
  for (let k = last.reached - 1; k >= 0; k--) {
    const family = parseHop(header, reachedAt[k * 2], reachedAt[k * 2 + 1]);
    ips.push(canonicalText(family, header, textStart, textEnd));
  }
  return ips;
}
