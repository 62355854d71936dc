// `1mcp-agent check`: the configuration explained in plain words, with the warnings that apply to it
// before any traffic arrives. Pure: the caller supplies what only I/O can tell (the store's reachability).
import type { AgentConfig } from './config/types.js';
import { compileSource, MODE_SINGLE } from './forwarded/source.js';
import { maskOf, type Cidr } from './net/cidr.js';
import { buildPolicies } from './limit/policies.js';
import { NAMED_RANGES } from './trust/names.js';
import { compileAddressList, trustsAnyPeer, trustsNoPeer, type AddressList, type CompiledTrust } from './trust/compile.js';

export interface CheckInput {
  config: AgentConfig;
  trust: CompiledTrust;
  allow: AddressList;
  configFile: string | null;
  /** One line about the shared store (reachable or not), or null with the in-memory store. */
  storeStatus: string | null;
  /** True when the store could not be reached. */
  storeDown: boolean;
}

const NON_PUBLIC: readonly Cidr[] = compileAddressList(Object.keys(NAMED_RANGES)).set.blocks;

function isNonPublic(block: Cidr): boolean {
  return NON_PUBLIC.some((range) => range.family === block.family && range.len <= block.len && (block.net & maskOf(block.family, range.len)) === range.net);
}

export function warningsFor({ config, trust, allow, storeDown }: CheckInput): string[] {
  const warnings: string[] = [];
  if (trustsAnyPeer(trust)) {
    warnings.push(
      `trustProxy ${JSON.stringify(config.trustProxy)} believes any peer, whatever its address: any client that can reach the agent without passing your proxies can choose its own IP. List your proxies' addresses instead.`,
    );
  }
  if (trustsNoPeer(trust)) {
    warnings.push(`trustProxy ${JSON.stringify(config.trustProxy)} trusts no proxy: forwarding headers are ignored, so behind a proxy every client shares the proxy's address and rate-limit bucket.`);
  }
  const publicBlocks = trust.set?.blocks.filter((b) => b.len > 0 && !isNonPublic(b)) ?? [];
  if (publicBlocks.length > 0) {
    warnings.push(`trustProxy includes public addresses (${publicBlocks.length} block${publicBlocks.length === 1 ? '' : 's'}): make sure each is a proxy you run, or its users can forge their IP.`);
  }
  if (compileSource(config.clientIpHeader).mode === MODE_SINGLE) {
    warnings.push(`clientIpHeader ${config.clientIpHeader} is believed as is from every trusted peer: make sure your proxy overwrites it rather than passing on the client's copy.`);
  }
  if (config.rateLimit.enabled && allow.set.blocks.some((b) => b.len === 0)) {
    warnings.push('rateLimit.allow contains a /0 block: no client of that family is ever limited.');
  }
  if (!config.rateLimit.enabled) warnings.push('rate limiting is off.');
  if (config.diagnostics) warnings.push('diagnostics is on: /debug/client and /debug/warnings show resolution details to anyone who can reach them; turn it off in production.');
  if (storeDown) {
    warnings.push(
      config.rateLimit.onStoreError === 'closed'
        ? 'the shared store is unreachable: with onStoreError "closed" the agent would answer 503 to every limited request until it returns.'
        : 'the shared store is unreachable: with onStoreError "open" the agent would start degraded and let requests through unlimited until it returns.',
    );
  }
  return warnings;
}

export function checkReport(input: CheckInput): string {
  const { config, trust, allow, configFile, storeStatus } = input;
  const rl = config.rateLimit;
  const lines = [
    `configuration: valid${configFile ? ` (${configFile})` : ' (no file: defaults, environment and flags)'}`,
    `listen:        ${config.host}:${config.port}`,
    `trust:         ${trust.summary}`,
    `client from:   ${compileSource(config.clientIpHeader).summary}`,
  ];
  if (rl.enabled) {
    const policies = buildPolicies({ ...rl, maxClients: 1 }).map((p) => `${p.path === null ? 'otherwise' : `${p.method ?? 'any'} ${p.path}`} → ${p.policyHeader}`);
    lines.push(`rate limit:    ${policies.join('; ')}`);
    const held = storeStatus === null ? `, up to ${rl.maxClients} clients per policy in memory` : '';
    lines.push(`               per client (IPv6 per /${rl.ipv6Prefix})${held}; exempt paths: ${rl.exempt.join(', ') || 'none'}; never limited: ${allow.summary || 'nobody'}`);
    lines.push(`store:         ${storeStatus ?? 'memory (this process only)'}`);
  } else {
    lines.push('rate limit:    off');
  }
  const warnings = warningsFor(input);
  lines.push(warnings.length === 0 ? 'warnings:      none' : 'warnings:');
  for (const warning of warnings) lines.push(`  - ${warning}`);
  return lines.join('\n');
}
