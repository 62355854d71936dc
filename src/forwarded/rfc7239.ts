// RFC 7239 `Forwarded`, read element by element from the right, in place.
//
// Reading from the right matters for safety, not only speed: the rightmost elements were written by our
// own proxies and are well-formed, while whatever the client sent sits on the left. A client that opens a
// quote and never closes it (`for="x`) spoils only its own element; a left-to-right reader would swallow
// every element our proxies appended after it.

/** Kinds of element that elementBefore reports. */
export const ELEMENT_EMPTY = 0;
export const ELEMENT_FOR = 1;
export const ELEMENT_BAD = 2;

/** Set by elementBefore: what the element is and, for ELEMENT_FOR, the bounds of the `for` value (unquoted). */
export let elementKind = ELEMENT_EMPTY;
export let forStart = 0;
export let forEnd = 0;
/** Bounds of the element's `proto` and `host` values (start === end when absent). */
export let protoStart = 0;
export let protoEnd = 0;
export let hostStart = 0;
export let hostEnd = 0;

function isTchar(c: number): boolean {
  // RFC 9110 token characters.
  return (
    (c >= 48 && c <= 57) ||
    ((c | 0x20) >= 97 && (c | 0x20) <= 122) ||
    c === 33 || (c >= 35 && c <= 39) || c === 42 || c === 43 || c === 45 || c === 46 || c === 94 || c === 95 || c === 96 || c === 124 || c === 126
  );
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Whether the quote at `q` is escaped: preceded by an odd number of backslashes. */
function escaped(value: string, q: number, floor: number): boolean {
  let n = 0;
  for (let i = q - 1; i >= floor && value.charCodeAt(i) === 92; i--) n++;
  return (n & 1) === 1;
}

function nameIs(value: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((value.charCodeAt(start + i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses the pairs of the element value[start, end) left to right. Sets elementKind and the value bounds.
 * Quoted values with backslash escapes are kept as non-addresses: no proxy escapes an address, and
 * unescaping would need a copy.
 */
function parseElement(value: string, start: number, end: number): void {
  forStart = forEnd = protoStart = protoEnd = hostStart = hostEnd = 0;
  let sawFor = false;
  let sawProto = false;
  let sawHost = false;
  let i = start;
  let any = false;
  while (i < end) {
    while (i < end && isBlank(value.charCodeAt(i))) i++;
    if (i < end && value.charCodeAt(i) === 59) {
      i++;
      continue;
    }
    if (i === end) break;
    const nameStart = i;
    while (i < end && isTchar(value.charCodeAt(i))) i++;
    const nameEnd = i;
    if (nameEnd === nameStart || i === end || value.charCodeAt(i) !== 61) {
      elementKind = ELEMENT_BAD;
      return;
    }
    i++;
    let valueStart = i;
    let valueEnd: number;
    let clean = true;
    if (i < end && value.charCodeAt(i) === 34) {
      valueStart = ++i;
      while (i < end && value.charCodeAt(i) !== 34) {
        if (value.charCodeAt(i) === 92) {
          clean = false;
          i++;
        }
        i++;
      }
      if (i >= end) {
        elementKind = ELEMENT_BAD;
        return;
      }
      valueEnd = i++;
    } else {
      while (i < end && isTchar(value.charCodeAt(i))) i++;
      valueEnd = i;
      if (valueEnd === valueStart) {
        elementKind = ELEMENT_BAD;
        return;
      }
    }
    while (i < end && isBlank(value.charCodeAt(i))) i++;
    if (i < end && value.charCodeAt(i) !== 59) {
      elementKind = ELEMENT_BAD;
      return;
    }
    any = true;
    // Each parameter may appear once per element (RFC 7239 section 4); a repeat is a forgery or a bug.
    if (nameIs(value, nameStart, nameEnd, 'for')) {
      if (sawFor) return void (elementKind = ELEMENT_BAD);
      sawFor = true;
      forStart = valueStart;
      forEnd = clean ? valueEnd : valueStart;
    } else if (nameIs(value, nameStart, nameEnd, 'proto')) {
      if (sawProto) return void (elementKind = ELEMENT_BAD);
      sawProto = true;
      protoStart = valueStart;
      protoEnd = clean ? valueEnd : valueStart;
    } else if (nameIs(value, nameStart, nameEnd, 'host')) {
      if (sawHost) return void (elementKind = ELEMENT_BAD);
      sawHost = true;
      hostStart = valueStart;
      hostEnd = clean ? valueEnd : valueStart;
    }
  }
  // An element without `for` names no address; the walk cannot go past it.
  elementKind = !any ? ELEMENT_EMPTY : sawFor && forEnd > forStart ? ELEMENT_FOR : ELEMENT_BAD;
}

/**
 * Finds the element that ends at `end` (exclusive), skipping commas inside quoted strings, parses it,
 * and returns where the element before it ends (the comma's index, or -1). An unbalanced quote makes
 * the element ELEMENT_BAD and returns -1: nothing to its left can be read reliably.
 */
export function elementBefore(value: string, end: number): number {
  let i = end - 1;
  while (i >= 0) {
    const c = value.charCodeAt(i);
    if (c === 44) break;
    if (c === 34 && !escaped(value, i, 0)) {
      // The closing quote of a quoted string: find its opening quote.
      let j = i - 1;
      while (j >= 0 && (value.charCodeAt(j) !== 34 || escaped(value, j, 0))) j--;
      if (j < 0) {
        elementKind = ELEMENT_BAD;
        return -1;
      }
      i = j;
    }
    i--;
  }
  parseElement(value, i + 1, end);
  return i;
}
