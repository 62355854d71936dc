// The public, object-returning face of client resolution. The server calls the pieces directly so it
// can skip what it does not need (ips) and feed the limiter from the scratch words.
import type { IncomingHttpHeaders } from 'node:http';
import { NONE, parseIp } from '../net/address.js';
import type { CompiledTrust } from '../trust/compile.js';
import { forwardedHost, forwardedProtocol } from './proto-host.js';
import { last, reachedAddresses, walkChain } from './walk.js';

export interface ClientRequest {
  /** The socket peer's address, as Node reports it (`req.socket.remoteAddress`). */
  remoteAddress: string;
  /** Request headers with lower-case names, as Node gives them (`req.headers`). */
  headers: IncomingHttpHeaders;
  /** True when the socket itself is TLS. */
  encrypted?: boolean;
}

export interface ResolvedClient {
  /** The client: canonical text (dotted IPv4, including for IPv4-mapped IPv6; RFC 5952 IPv6). */
  ip: string;
  /** Express's req.ips: the client, then each trusted proxy outwards-in; the socket excluded. */
  ips: string[];
  protocol: 'http' | 'https';
  secure: boolean;
  host: string | undefined;
}

/** One string for a header that may have arrived as several lines. */
export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

export function resolveClient(trust: CompiledTrust, request: ClientRequest): ResolvedClient {
  const { remoteAddress, headers } = request;
  if (typeof remoteAddress !== 'string' || parseIp(remoteAddress, 0, remoteAddress.length) === NONE) {
    throw new TypeError(`remoteAddress must be an IP address, got ${JSON.stringify(remoteAddress)}`);
  }
  const xff = headerText(headers['x-forwarded-for']);
  const ip = walkChain(trust, remoteAddress, xff);
  const ips = xff === undefined ? [] : reachedAddresses(xff);
  const protocol = forwardedProtocol(request.encrypted === true, last.peerTrusted, headerText(headers['x-forwarded-proto']));
  const host = forwardedHost(last.peerTrusted, headerText(headers['x-forwarded-host']), headers.host);
  return { ip, ips, protocol, secure: protocol === 'https', host };
}
