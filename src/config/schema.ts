// config.schema.json is the single statement of what a valid configuration is: its types and ranges,
// defaults and descriptions. It is compiled once, and every source (file, environment, flags) is
// judged by it, so a value means the same wherever it is written.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Ajv } from 'ajv';

/** The parts of a schema node this layer reads. */
export interface SchemaNode {
  type: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
}

// Formats the standard does not define, each with the words a problem report uses for it.
const FORMATS: Readonly<Record<string, { test: (text: string) => boolean; words: string }>> = {
  host: { test: (text) => text === 'localhost' || isIP(text) !== 0, words: 'an IP address or "localhost"' },
  'url-path': { test: (text) => text.startsWith('/'), words: 'a path starting with "/"' },
  'redis-url': { test: (text) => /^rediss?:\/\/[^\s]+$/.test(text), words: 'a redis:// or rediss:// URL' },
  'http-method': { test: (text) => /^[A-Za-z]+$/.test(text), words: 'an HTTP method such as "POST"' },
  'policy-name': { test: (text) => /^[\x20-\x7e]{1,64}$/.test(text) && !/["\\]/.test(text), words: 'up to 64 printable characters without quotes or backslashes' },
  'header-name': {
    test: (text) => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(text),
    words: 'a header name ("x-forwarded-for", "forwarded", "x-real-ip", ...)',
  },
};

export const SCHEMA: SchemaNode = JSON.parse(readFileSync(new URL('../../config.schema.json', import.meta.url), 'utf8'));

// verbose: errors carry the failing node (parentSchema), which is what problem reports describe.
// strict: a schema mistake fails at start-up instead of being silently ignored.
const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format.test);

export const validate = ajv.compile(SCHEMA);

function bounds(node: SchemaNode): string {
  const { minimum, maximum, exclusiveMinimum } = node;
  if (minimum !== undefined && maximum !== undefined) return ` from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return ` >= ${minimum}`;
  if (exclusiveMinimum !== undefined) return ` > ${exclusiveMinimum}`;
  return maximum !== undefined ? ` <= ${maximum}` : '';
}

function typeWords(type: string, node: SchemaNode): string {
  switch (type) {
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'integer':
      return `an integer${bounds(node)}`;
    case 'number':
      return `a number${bounds(node)}`;
    case 'string':
      if (node.enum) return `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
      if (node.anyOf) return typeWords('string', node.anyOf.find((branch) => branch.type === 'string') ?? { type: 'string' });
      if (node.format) return FORMATS[node.format].words;
      return node.minLength ? 'a non-empty string' : 'a string';
    case 'array':
      return typeof node.items?.type === 'string' ? `an array of ${node.items.type}s` : 'an array';
    case 'object':
      return node.anyOf ? 'an object as the description says (see --help)' : 'an object';
    default:
      return `an ${type}`;
  }
}

function orList(words: string[]): string {
  if (words.length <= 2) return words.join(' or ');
  return `${words.slice(0, -1).join(', ')}, or ${words[words.length - 1]}`;
}

/**
 * What a node accepts, in words: 'must be an integer from 0 to 65535'. A report names the whole rule,
 * not the one keyword that failed, so the reader learns the valid range from one line.
 */
export function expectation(node: SchemaNode): string {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  return `must be ${orList(types.map((type) => typeWords(type, node)))}`;
}
