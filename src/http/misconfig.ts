// Watches live traffic for the trust settings that go wrong in the field: too permissive (clients can
// forge their address) or too narrow (everyone shares the proxy's address and bucket). Per request it
// does a few comparisons; the dominant-client check is a one-candidate majority vote over typed arrays.
import { NONE, parseIp, words } from '../net/address.js';
import { setHas, type CidrSet } from '../net/cidr-set.js';
import type { Warnings } from '../log/warnings.js';
import { compileAddressList, trustsAnyPeer, trustsNoPeer, type CompiledTrust } from '../trust/compile.js';

const WINDOW_MS = 60_000;
const DOMINANT_MIN_REQUESTS = 100;
const DOMINANT_SHARE = 0.9;
/** Requests with ignored forwarding headers before trust=false is called a mistake. */
const IGNORED_HEADERS_THRESHOLD = 10;

export interface MisconfigDetector {
  /**
   * Called after the walk, while the scratch words hold the client. `hasHeader`: the configured client
   * header was present; `peerTrusted`: the socket peer was trusted.
   */
  observe(peer: string, hasHeader: boolean, peerTrusted: boolean, clientFamily: number, clientIp: string, now: number): void;
}

export function createMisconfigDetector(trust: CompiledTrust, warnings: Warnings): MisconfigDetector {
  const nonPublic: CidrSet = compileAddressList(['loopback', 'linklocal', 'uniquelocal']).set;
  const permissive = trustsAnyPeer(trust);
  const ignoresHeaders = trustsNoPeer(trust);
  const candidate = new Uint32Array(4);
  let candidateFamily = NONE as number;
  let candidateIp = '';
  let votes = 0;
  let hits = 0;
  let total = 0;
  let windowStart = -1;
  let ignoredHeaders = 0;

  function newWindow(now: number): void {
    windowStart = now;
    total = hits = votes = 0;
    candidateFamily = NONE;
  }

  function sameAsCandidate(family: number): boolean {
    return family === candidateFamily && words[0] === candidate[0] && words[1] === candidate[1] && words[2] === candidate[2] && words[3] === candidate[3];
  }

  return {
    observe(peer, hasHeader, peerTrusted, clientFamily, clientIp, now) {
      if (windowStart < 0 || now - windowStart >= WINDOW_MS) newWindow(now);
      total++;
      if (sameAsCandidate(clientFamily)) {
        votes++;
        hits++;
      } else if (--votes <= 0) {
        candidate[0] = words[0];
        candidate[1] = words[1];
        candidate[2] = words[2];
        candidate[3] = words[3];
        candidateFamily = clientFamily;
        candidateIp = clientIp;
        votes = 1;
        hits = 1;
      }
      // Judged as the window fills, so a lopsided minute is reported while it is happening.
      if (total >= DOMINANT_MIN_REQUESTS && hits > total * DOMINANT_SHARE) {
        warnings.emit('DOMINANT_CLIENT', { client: candidateIp, requests: total, share: Math.round((hits / total) * 100) / 100 }, now);
      }

      if (hasHeader && !peerTrusted) {
        if (!ignoresHeaders) warnings.emit('UNTRUSTED_PEER_FORWARDS', { peer }, now);
        else if (++ignoredHeaders >= IGNORED_HEADERS_THRESHOLD) warnings.emit('FORWARDING_IGNORED', { peer }, now);
      }
      // Last: it reuses the scratch words for the peer.
      if (permissive && !setHas(nonPublic, parseIp(peer, 0, peer.length))) {
        warnings.emit('PERMISSIVE_TRUST_DIRECT', { peer }, now);
      }
    },
  };
}
