// The public, object-returning face of client resolution. The server calls the pieces directly so it
// can skip what it does not need (ips) and feed the limiter from the scratch words.
import type { IncomingHttpHeaders } from 'node:http';
import { NONE, parseIp } from '../net/address.js';
import type { CompiledTrust } from '../trust/compile.js';
import { requestHost, requestProtocol } from './proto-host.js';
import { compileSource, DEFAULT_SOURCE, MODE_FORWARDED, type ClientIpSource } from './source.js';
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

export interface ResolveOptions {
  /** 'x-forwarded-for' (default), 'forwarded', or a single-address header such as 'x-real-ip'. */
  clientIpHeader?: string;
}

/** Scheme claims that go with a client source: Forwarded's own proto=, or X-Forwarded-Proto. */
export function protoClaims(source: ClientIpSource, headers: IncomingHttpHeaders, chain: string | undefined): string | undefined {
  return source.mode === MODE_FORWARDED ? chain : headerText(headers['x-forwarded-proto']);
}

function hostClaims(source: ClientIpSource, headers: IncomingHttpHeaders, chain: string | undefined): string | undefined {
  return source.mode === MODE_FORWARDED ? chain : headerText(headers['x-forwarded-host']);
}

export function resolveClient(trust: CompiledTrust, request: ClientRequest, options: ResolveOptions = {}): ResolvedClient {
  const { remoteAddress, headers } = request;
  if (typeof remoteAddress !== 'string' || parseIp(remoteAddress, 0, remoteAddress.length) === NONE) {
    throw new TypeError(`remoteAddress must be an IP address, got ${JSON.stringify(remoteAddress)}`);
  }
  const source = options.clientIpHeader === undefined ? DEFAULT_SOURCE : compileSource(options.clientIpHeader);
  return resolveWith(trust, source, remoteAddress, headers, request.encrypted === true);
}

/** resolveClient with a compiled source and a remoteAddress known to be valid (the server's path). */
export function resolveWith(trust: CompiledTrust, source: ClientIpSource, remoteAddress: string, headers: IncomingHttpHeaders, encrypted: boolean): ResolvedClient {
  const chain = headerText(headers[source.header]);
  const ip = walkChain(trust, remoteAddress, chain, source.mode);
  const ips = chain === undefined ? [] : reachedAddresses(chain);
  const protocol = requestProtocol(encrypted, last.peerTrusted, source.mode, protoClaims(source, headers, chain));
  const host = requestHost(last.peerTrusted, source.mode, hostClaims(source, headers, chain), headers.host);
  return { ip, ips, protocol, secure: protocol === 'https', host };
}
