// --print-config: every setting's final value and where it came from, keyed like `origins`.
import { compileSource } from '../forwarded/source.js';
import type { AddressList, CompiledTrust } from '../trust/compile.js';
import { OPTIONS } from './options.js';
import { getAt } from './paths.js';
import type { AgentConfig, Origin } from './types.js';

export function printConfig(config: AgentConfig, origins: Readonly<Record<string, Origin>>, trust: CompiledTrust, allow: AddressList): string {
  const out: Record<string, unknown> = {};
  for (const option of OPTIONS) {
    const { source, label } = origins[option.key];
    const value = getAt(config, option.path);
    out[option.key] = source === 'default' ? { value, source } : { value, source, origin: label };
  }
  out['trustProxy.compiled'] = { value: trust.summary };
  out['clientIpHeader.active'] = { value: compileSource(config.clientIpHeader).summary };
  out['rateLimit.allow.compiled'] = { value: allow.summary === '' ? 'nobody' : allow.summary };
  return JSON.stringify(out, null, 2);
}
