// --print-config: every setting's final value and where it came from, keyed like `origins`.
import { compileSource } from '../forwarded/source.js';
import type { AddressList, CompiledTrust } from '../trust/compile.js';
import { OPTIONS } from './options.js';
import { getAt } from './paths.js';
import type { AgentConfig, Origin } from './types.js';

/** URLs with their password replaced: this output gets pasted into tickets. */
function redacted(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
  if (Array.isArray(value)) return value.map(redacted);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted(v)]));
  return value;
}

export function printConfig(config: AgentConfig, origins: Readonly<Record<string, Origin>>, trust: CompiledTrust, allow: AddressList): string {
  const out: Record<string, unknown> = {};
  for (const option of OPTIONS) {
    const { source, label } = origins[option.key];
    const value = redacted(getAt(config, option.path));
    out[option.key] = source === 'default' ? { value, source } : { value, source, origin: label };
  }
  out['trustProxy.compiled'] = { value: trust.summary };
  out['clientIpHeader.active'] = { value: compileSource(config.clientIpHeader).summary };
  out['rateLimit.allow.compiled'] = { value: allow.summary === '' ? 'nobody' : allow.summary };
  return JSON.stringify(out, null, 2);
}
