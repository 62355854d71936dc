// What the agent says about itself: --help, generated from the option table and the schema, and --version.
import { readFileSync } from 'node:fs';
import { COMMANDS, OPTIONS, type Command, type Option } from './options.js';

interface PackageInfo {
  name: string;
  version: string;
}

function packageInfo(): PackageInfo {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageInfo;
}

/** Defaults as they would be typed on the command line. */
function defaultText(value: unknown): string {
  if (value === null || (Array.isArray(value) && value.length === 0)) return 'none';
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function optionFlags(option: Option): string {
  if (option.kind === 'boolean') return `${option.flag}[=${option.arg}], --no-${option.flag.slice(2)}`;
  return `${option.flag} ${option.arg}`;
}

function commandFlags(command: Command): string {
  const flags = [...command.flags].reverse().join(', ');
  return command.arg ? `${flags} ${command.arg}` : flags;
}

interface Row {
  flags: string;
  env: string;
  text: string;
}

function render(rows: readonly Row[], width: number): string[] {
  return rows.flatMap((row) => [`  ${row.env ? row.flags.padEnd(width) + row.env : row.flags}`, `      ${row.text}`]);
}

export function helpText(): string {
  const { name } = packageInfo();
  const commands = COMMANDS.map((c) => ({ flags: commandFlags(c), env: c.env ?? '', text: c.description }));
  const settings = OPTIONS.map((o) => ({
    flags: optionFlags(o),
    env: o.env,
    text: `${o.schema.description} Default: ${defaultText(o.schema.default)}.`,
  }));
  // One width for both sections, so every environment variable lines up.
  const width = Math.max(...[...commands, ...settings].map((row) => row.flags.length)) + 2;
  return [
    `Usage: ${name} [options]`,
    '',
    'Each setting is taken from, highest first: its flag, its environment variable, the configuration',
    'file, its default. Booleans accept true/false, yes/no, on/off, 1/0; lists are comma-separated.',
    '',
    'Commands:',
    ...render(commands, width),
    '',
    'Settings:',
    ...render(settings, width),
  ].join('\n');
}

export function versionText(): string {
  return packageInfo().version;
}
