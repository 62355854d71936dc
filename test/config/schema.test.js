// config.schema.json and the option table describe the same settings, and the schema is strict.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OPTIONS } from '../../dist/config/options.js';
import { validate } from '../../dist/config/schema.js';

const schema = JSON.parse(readFileSync(new URL('../../config.schema.json', import.meta.url), 'utf8'));

function walk(node, path, visit) {
  visit(node, path);
  for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, [...path, name], visit);
}

test('the schema is draft-07', () => {
  assert.is(schema.$schema, 'http://json-schema.org/draft-07/schema#');
});

test('every object forbids unknown keys', () => {
  walk(schema, [], (node, path) => {
    if (node.type === 'object') assert.is(node.additionalProperties, false, `/${path.join('/')}`);
  });
});

test('every key has a description and a default', () => {
  walk(schema, [], (node, path) => {
    if (path.length === 0 || path[0] === '$schema') return;
    assert.type(node.description, 'string', `/${path.join('/')} description`);
    assert.ok('default' in node, `/${path.join('/')} default`);
  });
});

test('each leaf of the schema has exactly one option, and each option one leaf', () => {
  const leaves = [];
  walk(schema, [], (node, path) => {
    if (path.length > 0 && path[0] !== '$schema' && !node.properties) leaves.push(path.join('.'));
  });
  assert.equal(OPTIONS.map((o) => o.key).sort(), leaves.sort());
  assert.is(new Set(OPTIONS.map((o) => o.flag)).size, OPTIONS.length);
  assert.is(new Set(OPTIONS.map((o) => o.env)).size, OPTIONS.length);
});

test('the defaults pass the schema', () => {
  const config = {};
  for (const option of OPTIONS) {
    const parent = option.path.slice(0, -1).reduce((node, name) => (node[name] ??= {}), config);
    parent[option.path.at(-1)] = option.schema.default;
  }
  assert.ok(validate(config), JSON.stringify(validate.errors));
});

test('the example file passes the schema and points at it', () => {
  const example = JSON.parse(readFileSync(new URL('../../examples/1mcp.json', import.meta.url), 'utf8'));
  assert.is(example.$schema, '../config.schema.json');
  assert.ok(validate(example), JSON.stringify(validate.errors));
});

test('an empty object is a valid file', () => {
  assert.ok(validate({}));
});

test.run();
