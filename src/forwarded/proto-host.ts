// The request's scheme and host as the client used them. Proxy claims are believed only from a trusted
// socket peer, and then only the closest one, which our own proxy wrote; values further left came from
// whoever talked to that proxy. With clientIpHeader "forwarded" the claims are the proto= and host= of
// the closest Forwarded element; otherwise X-Forwarded-Proto and X-Forwarded-Host.
import { itemBefore, itemEnd, itemStart } from './items.js';
import { elementBefore, elementKind, ELEMENT_EMPTY, ELEMENT_FOR, hostEnd, hostStart, protoEnd, protoStart } from './rfc7239.js';
import { MODE_FORWARDED, type Mode } from './source.js';

let claimStart = 0;
let claimEnd = 0;

/** Finds the rightmost non-empty item of an X-Forwarded-* value. */
function closestItem(value: string): boolean {
  for (let end = value.length; end >= 0; ) {
    end = itemBefore(value, end);
    if (itemStart < itemEnd) {
      claimStart = itemStart;
      claimEnd = itemEnd;
      return true;
    }
  }
  return false;
}

/** Finds the proto= (wantHost false) or host= value of the closest well-formed Forwarded element. */
function closestElementClaim(value: string, wantHost: boolean): boolean {
  for (let end = value.length; end >= 0; ) {
    end = elementBefore(value, end);
    if (elementKind === ELEMENT_EMPTY) continue;
    if (elementKind !== ELEMENT_FOR) return false;
    claimStart = wantHost ? hostStart : protoStart;
    claimEnd = wantHost ? hostEnd : protoEnd;
    return claimStart < claimEnd;
  }
  return false;
}

function claimIs(value: string, lower: string): boolean {
  if (claimEnd - claimStart !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((value.charCodeAt(claimStart + i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function findClaim(mode: Mode, value: string, wantHost: boolean): boolean {
  return mode === MODE_FORWARDED ? closestElementClaim(value, wantHost) : closestItem(value);
}

/** `claims` is the Forwarded value in forwarded mode, else X-Forwarded-Proto. */
export function requestProtocol(encrypted: boolean, peerTrusted: boolean, mode: Mode, claims: string | undefined): 'http' | 'https' {
  if (encrypted) return 'https';
  if (!peerTrusted || claims === undefined || !findClaim(mode, claims, false)) return 'http';
  return claimIs(claims, 'https') ? 'https' : 'http';
}

/** Host syntax (reg-name or IP literal, optional port); anything else is ignored. */
function claimIsHost(value: string): boolean {
  if (claimEnd - claimStart > 255) return false;
  for (let i = claimStart; i < claimEnd; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 58) || // 0-9 and ':'
      ((c | 0x20) >= 97 && (c | 0x20) <= 122) ||
      c === 45 || c === 46 || c === 95 || c === 126 || c === 91 || c === 93;
    if (!ok) return false;
  }
  return true;
}

/** `claims` is the Forwarded value in forwarded mode, else X-Forwarded-Host; `host` is the Host header. */
export function requestHost(peerTrusted: boolean, mode: Mode, claims: string | undefined, host: string | undefined): string | undefined {
  if (peerTrusted && claims !== undefined && findClaim(mode, claims, true) && claimIsHost(claims)) {
    return claimStart === 0 && claimEnd === claims.length ? claims : claims.slice(claimStart, claimEnd);
  }
  return host;
}
