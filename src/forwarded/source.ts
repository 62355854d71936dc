// Which header names the client: compiled once from `clientIpHeader`. Exactly one source is read per
// request, so two headers can never be mixed into one answer.

/** X-Forwarded-For: a chain, walked through the trust table. */
export const MODE_XFF = 0;
/** RFC 7239 Forwarded: a chain of elements, walked the same way. */
export const MODE_FORWARDED = 1;
/** A header holding one address (X-Real-IP, CF-Connecting-IP, ...): one hop, from a trusted peer only. */
export const MODE_SINGLE = 2;
export type Mode = typeof MODE_XFF | typeof MODE_FORWARDED | typeof MODE_SINGLE;

export interface ClientIpSource {
  /** Lower-case header name, as Node keys req.headers. */
  readonly header: string;
  readonly mode: Mode;
  /** For --print-config and the start-up log. */
  readonly summary: string;
}

export function compileSource(name: string): ClientIpSource {
  const header = name.toLowerCase();
  if (header === 'x-forwarded-for') {
    return { header, mode: MODE_XFF, summary: 'x-forwarded-for: a chain walked right to left through trustProxy; proto and host from X-Forwarded-Proto / X-Forwarded-Host' };
  }
  if (header === 'forwarded') {
    return { header, mode: MODE_FORWARDED, summary: 'forwarded (RFC 7239): for= walked right to left through trustProxy; proto= and host= of the closest element' };
  }
  return { header, mode: MODE_SINGLE, summary: `${header}: one address, believed only when the socket peer is trusted; proto and host from X-Forwarded-Proto / X-Forwarded-Host` };
}

export const DEFAULT_SOURCE = compileSource('x-forwarded-for');
