// X-Forwarded-Proto and X-Forwarded-Host: believed only from a trusted socket peer, and then only the
// closest (rightmost) value, which is the one our own proxy wrote; values further left came from
// whoever talked to that proxy.
import { itemBefore, itemEnd, itemStart } from './items.js';

/** Finds the rightmost non-empty item of `value`, leaving its bounds in itemStart/itemEnd. */
function closestItem(value: string): boolean {
  for (let end = value.length; end >= 0; ) {
    end = itemBefore(value, end);
    if (itemStart < itemEnd) return true;
  }
  return false;
}

function itemIs(value: string, lower: string): boolean {
  if (itemEnd - itemStart !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((value.charCodeAt(itemStart + i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export function forwardedProtocol(encrypted: boolean, peerTrusted: boolean, header: string | undefined): 'http' | 'https' {
  if (encrypted) return 'https';
  if (!peerTrusted || header === undefined || !closestItem(header)) return 'http';
  return itemIs(header, 'https') ? 'https' : 'http';
}

/** Host syntax (reg-name or IP literal, optional port); anything else in X-Forwarded-Host is ignored. */
function isHostItem(value: string): boolean {
  const len = itemEnd - itemStart;
  if (len > 255) return false;
  for (let i = itemStart; i < itemEnd; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 58) || // 0-9 and ':'
      ((c | 0x20) >= 97 && (c | 0x20) <= 122) ||
      c === 45 || c === 46 || c === 95 || c === 126 || c === 91 || c === 93;
    if (!ok) return false;
  }
  return true;
}

export function forwardedHost(peerTrusted: boolean, forwarded: string | undefined, host: string | undefined): string | undefined {
  if (peerTrusted && forwarded !== undefined && closestItem(forwarded) && isHostItem(forwarded)) {
    return itemStart === 0 && itemEnd === forwarded.length ? forwarded : forwarded.slice(itemStart, itemEnd);
  }
  return host;
}
