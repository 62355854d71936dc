// The one table of settings. Argument and environment parsing, --help, origins and --print-config are
// all generated from it. Each row names a leaf of config.schema.json, which supplies the row's
// default, description and rules, so none of those is written twice.
import { SCHEMA, type SchemaNode } from './schema.js';

/**
 * How the text of a flag or environment variable becomes a value. Text that does not convert stays a
 * string, so the schema rejects it with the same words it uses for a bad file value.
 */
export type TextKind = 'string' | 'number' | 'boolean' | 'list' | 'json' | 'redis' | 'file';

export interface Option {
  /** Dotted path in AgentConfig, and the key of `origins` and of --print-config. */
  readonly key: string;
  readonly flag: string;
  readonly env: string;
  readonly kind: TextKind;
  /** The value's placeholder in --help. */
  readonly arg: string;
  readonly path: readonly string[];
  /** JSON pointer of the leaf, as ajv reports it. */
  readonly pointer: string;
  readonly schema: SchemaNode;
}

function option(key: string, flag: string, env: string, kind: TextKind, arg: string): Option {
  const path = key.split('.');
  const schema = path.reduce<SchemaNode | undefined>((node, name) => node?.properties?.[name], SCHEMA);
  if (!schema) throw new Error(`option ${key} has no entry in config.schema.json`);
  return { key, flag, env, kind, arg, path, pointer: `/${path.join('/')}`, schema };
}

// Flag and variable text is handed to compileTrust as written, so '1' means one hop, not a boolean.
export const TRUST_PROXY = option('trustProxy', '--trust-proxy', 'ONE_MCP_TRUST_PROXY', 'string', 'LIST');
export const RATE_LIMIT_ALLOW = option('rateLimit.allow', '--rate-limit-allow', 'ONE_MCP_RATE_LIMIT_ALLOW', 'string', 'LIST');

export const OPTIONS: readonly Option[] = [
  option('host', '--host', 'ONE_MCP_HOST', 'string', 'ADDR'),
  option('port', '--port', 'ONE_MCP_PORT', 'number', 'PORT'),
  TRUST_PROXY,
  option('clientIpHeader', '--client-ip-header', 'ONE_MCP_CLIENT_IP_HEADER', 'string', 'NAME'),
  option('logging.level', '--log-level', 'ONE_MCP_LOG_LEVEL', 'string', 'LEVEL'),
  option('logging.file', '--log-file', 'ONE_MCP_LOG_FILE', 'file', 'PATH'),
  option('rateLimit.enabled', '--rate-limit', 'ONE_MCP_RATE_LIMIT', 'boolean', 'BOOL'),
  option('rateLimit.capacity', '--rate-limit-capacity', 'ONE_MCP_RATE_LIMIT_CAPACITY', 'number', 'N'),
  option('rateLimit.refillPerSecond', '--rate-limit-refill', 'ONE_MCP_RATE_LIMIT_REFILL', 'number', 'N'),
  option('rateLimit.ipv6Prefix', '--rate-limit-ipv6-prefix', 'ONE_MCP_RATE_LIMIT_IPV6_PREFIX', 'number', 'BITS'),
  option('rateLimit.maxClients', '--rate-limit-max-clients', 'ONE_MCP_RATE_LIMIT_MAX_CLIENTS', 'number', 'N'),
  RATE_LIMIT_ALLOW,
  option('rateLimit.rules', '--rate-limit-rules', 'ONE_MCP_RATE_LIMIT_RULES', 'json', 'JSON'),
  option('rateLimit.store', '--rate-limit-redis', 'ONE_MCP_RATE_LIMIT_REDIS', 'redis', 'URL'),
  option('rateLimit.onStoreError', '--rate-limit-on-store-error', 'ONE_MCP_RATE_LIMIT_ON_STORE_ERROR', 'string', 'open|closed'),
  option('rateLimit.exempt', '--rate-limit-exempt', 'ONE_MCP_RATE_LIMIT_EXEMPT', 'list', 'PATHS'),
  option('diagnostics', '--diagnostics', 'ONE_MCP_DIAGNOSTICS', 'boolean', 'BOOL'),
];

export const optionByFlag: ReadonlyMap<string, Option> = new Map(OPTIONS.map((o) => [o.flag, o]));
export const optionByEnv: ReadonlyMap<string, Option> = new Map(OPTIONS.map((o) => [o.env, o]));

export type Action = 'help' | 'version' | 'print' | 'check';

/** Flags that choose what to do rather than set a value. */
export interface Command {
  readonly flags: readonly string[];
  readonly description: string;
  /** Set for --config, the one command that takes a value. */
  readonly arg?: string;
  readonly env?: string;
  readonly action?: Action;
}

export const CONFIG_COMMAND: Command = {
  flags: ['--config'],
  arg: 'FILE',
  env: 'ONE_MCP_CONFIG',
  description: 'JSON configuration file (its format is config.schema.json).',
};

export const COMMANDS: readonly Command[] = [
  CONFIG_COMMAND,
  { flags: ['--check', 'check'], action: 'check', description: 'Validate the configuration, describe what is trusted and limited, list the warnings that apply, then exit (0 when valid).' },
  { flags: ['--print-config'], action: 'print', description: 'Print the resolved settings and where each came from, then exit.' },
  { flags: ['--help', '-h'], action: 'help', description: 'Print this help and exit.' },
  { flags: ['--version'], action: 'version', description: 'Print the version and exit.' },
];

export const commandByFlag: ReadonlyMap<string, Command> = new Map(COMMANDS.flatMap((c) => c.flags.map((f) => [f, c] as const)));
