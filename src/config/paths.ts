// Dotted keys ('rateLimit.capacity') and JSON pointers ('/rateLimit/capacity') name the same places:
// keys in the option table, pointers in ajv errors and problem labels.

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Option keys never contain '~' or '/', so only keys read from a file need escaping. */
export function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Whether `pointer` is `base` or a place inside it. */
export function within(pointer: string, base: string): boolean {
  return pointer === base || pointer.startsWith(`${base}/`);
}

export function getAt(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as JsonObject)[segment];
  }
  return node;
}

/**
 * Sets a leaf, creating no parents: the defaults already hold every parent object, so a parent that is
 * not an object came from the file, and the schema reports it there. Returns whether the leaf was set.
 */
export function setAt(root: JsonObject, segments: readonly string[], value: unknown): boolean {
  const parent = getAt(root, segments.slice(0, -1));
  if (!isObject(parent)) return false;
  parent[segments[segments.length - 1]] = value;
  return true;
}

