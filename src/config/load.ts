// Precedence and validation. The sources are merged into one object, highest last, while each leaf's
// origin is recorded; the merged object is validated once, and every ajv error is reported at the
// origin of the value it is about. Nothing reaches the agent until all sources pass.
import { resolve } from 'node:path';
import { compileAllowList, compileTrust, TrustEntryError, type AddressList, type CompiledTrust } from '../trust/compile.js';
import { ConfigError, problem } from './errors.js';
import { helpText, versionText } from './help.js';
import { OPTIONS, RATE_LIMIT_ALLOW, TRUST_PROXY, type Option } from './options.js';
import { escapeSegment, getAt, isObject, pointerSegments, setAt, within, type JsonObject } from './paths.js';
import { printConfig } from './print.js';
import { expectation, validate, type SchemaNode } from './schema.js';
import { readArgv, readEnv, readFile, type Setting } from './sources.js';
import type { AgentConfig, Origin } from './types.js';

export type LoadResult =
  | {
      /** 'check' asks for a report instead of a server. */
      action: 'run' | 'check';
      config: AgentConfig;
      origins: Record<string, Origin>;
      trust: CompiledTrust;
      /** rateLimit.allow, compiled. */
      allow: AddressList;
      configFile: string | null;
      warnings: string[];
    }
  | { action: 'help'; text: string }
  | { action: 'version'; text: string }
  | { action: 'print'; text: string; warnings: string[] };

/** Where a leaf's value came from; `text` is what a flag or variable said, shown if it is rejected. */
interface Leaf {
  origin: Origin;
  text?: string;
}

const DEFAULT_ORIGIN: Origin = { source: 'default', label: 'default' };

function defaults(): JsonObject {
  const root: JsonObject = {};
  for (const { path, schema } of OPTIONS) {
    let parent = root;
    for (const name of path.slice(0, -1)) parent = (parent[name] ??= {}) as JsonObject;
    parent[path[path.length - 1]] = structuredClone(schema.default);
  }
  return root;
}

/** File values replace defaults leaf by leaf; a file value of the wrong shape is kept for the schema to report. */
function mergeFile(target: JsonObject, file: JsonObject): void {
  for (const [name, value] of Object.entries(file)) {
    const current = Object.hasOwn(target, name) ? target[name] : undefined;
    if (isObject(current) && isObject(value)) mergeFile(current, value);
    // Assigning a "__proto__" key read from the file would replace the prototype (or, merged into,
    // pollute Object.prototype); defining it keeps it an ordinary key that the schema rejects.
    else Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  }
}

interface Merged {
  data: JsonObject;
  leaves: Map<string, Leaf>;
}

function merge(file: JsonObject | null, fileLabel: string | null, settings: readonly Setting[]): Merged {
  const data = defaults();
  const leaves = new Map<string, Leaf>();
  if (file) {
    mergeFile(data, file);
    for (const option of OPTIONS) {
      if (getAt(file, option.path) !== undefined) leaves.set(option.key, { origin: { source: 'file', label: `${fileLabel}#${option.pointer}` } });
    }
  }
  for (const { option, value, text, origin } of settings) {
    if (setAt(data, option.path, value)) leaves.set(option.key, { origin, text });
  }
  return { data, leaves };
}

/** The label of a place in the merged object: the flag or variable that set it, or else its place in the file. */
function locate(pointer: string, leaves: ReadonlyMap<string, Leaf>, fileLabel: string | null): { label: string; text?: string } {
  const option = OPTIONS.find((o) => within(pointer, o.pointer));
  const leaf = option && leaves.get(option.key);
  if (leaf && leaf.origin.source !== 'file') return { label: leaf.origin.label, text: pointer === option.pointer ? leaf.text : undefined };
  // Defaults are valid, so whatever is left was written in the file.
  return { label: `${fileLabel}#${pointer}` };
}

function schemaProblems({ data, leaves }: Merged, fileLabel: string | null): { problems: string[]; failed: Set<string> } {
  const problems: string[] = [];
  const failed = new Set<string>();
  if (validate(data)) return { problems, failed };
  const errors = validate.errors ?? [];
  // With alternatives (anyOf) every branch reports; the error deepest inside the value is the useful one.
  const deeper = (path: string) => errors.some((e) => e.instancePath.startsWith(`${path}/`));
  for (const err of errors) {
    if (err.keyword === 'additionalProperties') {
      const key = (err.params as { additionalProperty: string }).additionalProperty;
      const pointer = `${err.instancePath}/${escapeSegment(key)}`;
      // Inside a value given as JSON by a flag or variable, the key was typed there, not in the file.
      const option = OPTIONS.find((o) => within(err.instancePath, o.pointer));
      const leaf = option && leaves.get(option.key);
      const label = leaf && leaf.origin.source !== 'file' ? `${leaf.origin.label} (at ${pointer.slice(option.pointer.length)})` : `${fileLabel}#${pointer}`;
      problems.push(problem(label, `unknown key ${JSON.stringify(key)}`));
      continue;
    }
    if (deeper(err.instancePath)) continue;
    if (err.keyword === 'required') {
      const key = (err.params as { missingProperty: string }).missingProperty;
      const { label } = locate(err.instancePath, leaves, fileLabel);
      // A flag's label names the whole value; say where inside it the key is missing.
      const option = OPTIONS.find((o) => within(err.instancePath, o.pointer));
      const inner = label.includes('#') || !option ? '' : err.instancePath.slice(option.pointer.length);
      problems.push(problem(label, `missing required key ${JSON.stringify(key)}${inner ? ` at ${inner}` : ''}`));
      continue;
    }
    // One line per place, however many of its keywords failed: the line states the whole rule.
    if (failed.has(err.instancePath)) continue;
    failed.add(err.instancePath);
    const { label, text } = locate(err.instancePath, leaves, fileLabel);
    const got = text ?? getAt(data, pointerSegments(err.instancePath));
    problems.push(problem(label, expectation(err.parentSchema as SchemaNode), got));
  }
  return { problems, failed };
}

/** Where a bad list entry was written: the entry's own pointer when the file gave an array. */
function entryLabel(err: TrustEntryError, value: unknown, leaf: Leaf | undefined): string {
  const origin = leaf?.origin ?? DEFAULT_ORIGIN;
  if (origin.source !== 'file') return origin.label;
  return Array.isArray(value) ? `${origin.label}/${err.index}` : origin.label;
}

/**
 * Compiles an address option (trustProxy, rateLimit.allow), reporting a bad entry where it was written.
 * A value the schema rejected has been reported already; compiling it would only say it again.
 */
function compileAddresses<T>(option: Option, merged: Merged, failed: ReadonlySet<string>, problems: string[], compile: (value: never) => T): T | null {
  if ([...failed].some((p) => within(p, option.pointer))) return null;
  const value = getAt(merged.data, option.path);
  try {
    return compile(value as never);
  } catch (err) {
    if (!(err instanceof TrustEntryError)) throw err;
    problems.push(problem(entryLabel(err, value, merged.leaves.get(option.key)), err.message));
    return null;
  }
}

export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): LoadResult {
  const args = readArgv(argv);
  // Help and version answer even when the rest of the command line or the configuration is wrong.
  if (args.action === 'help') return { action: 'help', text: helpText() };
  if (args.action === 'version') return { action: 'version', text: versionText() };

  const vars = readEnv(env);
  const configFile = args.configFile ?? vars.configFile;
  const file = configFile === null ? null : readFile(configFile);
  const problems = [...args.problems, ...vars.problems, ...(file?.problems ?? [])];

  const merged = merge(file?.data ?? null, configFile, [...vars.settings, ...args.settings]);
  const checked = schemaProblems(merged, configFile);
  problems.push(...checked.problems);

  const trust = compileAddresses(TRUST_PROXY, merged, checked.failed, problems, compileTrust);
  const allow = compileAddresses(RATE_LIMIT_ALLOW, merged, checked.failed, problems, compileAllowList);
  // Both are null only when a problem was recorded; the test narrows the types.
  if (problems.length > 0 || trust === null || allow === null) throw new ConfigError(problems);

  delete merged.data.$schema;
  const config = merged.data as unknown as AgentConfig;
  const origins = Object.fromEntries(OPTIONS.map((o) => [o.key, merged.leaves.get(o.key)?.origin ?? DEFAULT_ORIGIN]));
  if (args.action === 'print') return { action: 'print', text: printConfig(config, origins, trust, allow), warnings: vars.warnings };
  return { action: args.action === 'check' ? 'check' : 'run', config, origins, trust, allow, configFile: configFile && resolve(configFile), warnings: vars.warnings };
}
