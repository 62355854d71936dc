// Reading the three sources: command-line arguments, ONE_MCP_* environment variables and the JSON file.
// Each reader only turns text into values and records where they came from; judging the values is left
// to the schema, once, after the sources are merged.
import { readFileSync } from 'node:fs';
import { problem } from './errors.js';
import { CONFIG_COMMAND, commandByFlag, optionByEnv, optionByFlag, type Action, type Option } from './options.js';
import { isObject, type JsonObject } from './paths.js';
import type { Origin } from './types.js';

/** A value given by a flag or environment variable. `text` is what was typed, shown when it is rejected. */
export interface Setting {
  readonly option: Option;
  readonly value: unknown;
  readonly text?: string;
  readonly origin: Origin;
}

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true], ['1', true], ['yes', true], ['on', true],
  ['false', false], ['0', false], ['no', false], ['off', false],
]);

// Decimal only: Number() would also take '', ' 12', '0x1f' and '1e3', none of which an operator means.
const NUMBER_RE = /^-?\d+(?:\.\d+)?$/;

/** The value of a flag or variable given as text; JSON-valued options are parsed by addSetting. */
function fromText(option: Option, text: string): unknown {
  switch (option.kind) {
    case 'number':
      return NUMBER_RE.test(text) ? Number(text) : text;
    case 'boolean':
      return BOOLEAN_WORDS.get(text.toLowerCase()) ?? text;
    case 'list':
      return text === '' ? [] : text.split(',').map((item) => item.trim());
    case 'file':
      // "-" is the usual spelling of standard output, and the only way to undo a file's path from outside.
      return text === '-' ? null : text;
    case 'redis':
      // The flag names a Redis server; "memory" switches back to the in-process store.
      return text === 'memory' ? text : { redis: { url: text } };
    default:
      return text;
  }
}

function textSetting(option: Option, text: string, origin: Origin): Setting {
  return { option, value: fromText(option, text), text, origin };
}

/**
 * Adds the setting a flag or variable gave as text, or, for a JSON-valued option whose text does not
 * parse, the problem saying so and where (the schema would only say the value is not an array).
 */
function addSetting(option: Option, text: string, origin: Origin, settings: Setting[], problems: string[]): void {
  if (option.kind !== 'json') {
    settings.push(textSetting(option, text, origin));
    return;
  }
  try {
    settings.push({ option, value: JSON.parse(text), text, origin });
  } catch (err) {
    const { at, reason } = syntaxError(text, (err as Error).message);
    const where = at >= text.length ? 'at the end' : `at character ${at + 1}`;
    problems.push(problem(origin.label, `invalid JSON ${where}: ${reason}`, text));
  }
}

export interface ArgvResult {
  readonly action: Action | 'run';
  readonly configFile: string | null;
  readonly settings: Setting[];
  readonly problems: string[];
}

// When several are given, asking for help wins, then the version, then printing.
const ACTION_ORDER: readonly Action[] = ['help', 'version', 'print', 'check'];

export function readArgv(argv: readonly string[]): ArgvResult {
  const settings: Setting[] = [];
  const problems: string[] = [];
  const actions = new Set<Action>();
  let configFile: string | null = null;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // `1mcp-agent check ...` reads like the subcommand it is (a flag's value never gets here).
    if (arg === 'check') {
      actions.add('check');
      continue;
    }
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      problems.push(problem(arg, 'unexpected argument (see --help)'));
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    // A value is the text after '=', or else the next argument unless that is itself a flag.
    const takeValue = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) return undefined;
      i++;
      return next;
    };

    const command = commandByFlag.get(name);
    const option = optionByFlag.get(name);
    const negated = name.startsWith('--no-') ? optionByFlag.get(`--${name.slice(5)}`) : undefined;
    const origin: Origin = { source: 'flag', label: name };

    if (command === CONFIG_COMMAND) {
      const value = takeValue();
      if (value) configFile = value;
      else problems.push(problem(name, 'missing value'));
    } else if (command?.action) {
      if (inline === undefined) actions.add(command.action);
      else problems.push(problem(name, 'takes no value'));
    } else if (option?.kind === 'boolean') {
      // A bare boolean flag means true. Its value is the text after '=' or the next word that is not a
      // flag (or the check subcommand): "--diagnostics maybe" is a bad value, not a stray argument.
      const next = argv[i + 1];
      if (inline !== undefined) settings.push(textSetting(option, inline, origin));
      else if (next !== undefined && !next.startsWith('-') && next !== 'check') settings.push(textSetting(option, argv[++i], origin));
      else settings.push({ option, value: true, origin });
    } else if (option) {
      const value = takeValue();
      if (value === undefined) problems.push(problem(name, 'missing value'));
      else addSetting(option, value, origin, settings, problems);
    } else if (negated?.kind === 'boolean') {
      if (inline === undefined) settings.push({ option: negated, value: false, origin });
      else problems.push(problem(name, 'takes no value'));
    } else {
      problems.push(problem(name, 'unknown option (see --help)'));
    }
  }
  const action = ACTION_ORDER.find((a) => actions.has(a)) ?? 'run';
  return { action, configFile, settings, problems };
}

export interface EnvResult {
  readonly configFile: string | null;
  readonly settings: Setting[];
  readonly problems: string[];
  readonly warnings: string[];
}

const ENV_PREFIX = 'ONE_MCP_';

export function readEnv(env: Readonly<Record<string, string | undefined>>): EnvResult {
  const settings: Setting[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  let configFile: string | null = null;
  for (const name of Object.keys(env).sort()) {
    const text = env[name];
    if (!name.startsWith(ENV_PREFIX) || text === undefined) continue;
    const option = optionByEnv.get(name);
    if (name === CONFIG_COMMAND.env) {
      if (text) configFile = text;
      else problems.push(problem(name, 'missing value'));
    } else if (option) {
      addSetting(option, text, { source: 'env', label: name }, settings, problems);
    } else {
      // A typo here should not stop a deployment, but it must not pass unnoticed either.
      warnings.push(`${name}: unknown variable, ignored`);
    }
  }
  return { configFile, settings, problems, warnings };
}

const POSITION_RE = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/;
const END_OF_INPUT = 'Unexpected end of JSON input';

/**
 * Where JSON.parse failed, and why. V8 gives a position for most errors; for an unexpected token it
 * quotes the text instead, so the position is found as the shortest prefix that fails the same way.
 */
function syntaxError(text: string, message: string): { at: number; reason: string } {
  const positioned = POSITION_RE.exec(message);
  if (positioned) return { at: Number(positioned[1]), reason: message.slice(0, positioned.index) };
  if (message === END_OF_INPUT) return { at: text.length, reason: message };
  const quote = message.indexOf("', ");
  const reason = quote < 0 ? message : message.slice(0, quote + 1);
  const failsHere = (end: number): boolean => {
    try {
      JSON.parse(text.slice(0, end));
      return false;
    } catch (err) {
      return (err as Error).message.startsWith(reason);
    }
  };
  let low = 1;
  let high = text.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (failsHere(mid)) high = mid;
    else low = mid + 1;
  }
  return { at: low - 1, reason };
}

function lineAndColumn(text: string, at: number): string {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return `line ${line}, column ${at - before.lastIndexOf('\n')}`;
}

export interface FileResult {
  readonly data: JsonObject | null;
  readonly problems: string[];
}

/** Reads the configuration file. `path` is also the label problems and origins use for it. */
export function readFile(path: string): FileResult {
  let text: string;
  try {
    // Editors on some systems save a byte-order mark, which JSON.parse rejects.
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    const reason = (err as Error).message.replace(/, \w+ '.*'$/, '');
    return { data: null, problems: [problem(path, `cannot read the config file (${reason})`)] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const { at, reason } = syntaxError(text, (err as Error).message);
    return { data: null, problems: [problem(path, `invalid JSON at ${lineAndColumn(text, at)}: ${reason}`)] };
  }
  if (!isObject(data)) return { data: null, problems: [problem(path, 'must be a JSON object', data)] };
  return { data, problems: [] };
}
