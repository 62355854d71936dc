// Right-to-left scanning of comma-separated header values, in place. Forwarding headers are read from
// the closest entry outwards, and most walks stop after one or two entries, so scanning from the right
// touches only what is used.

/** Bounds of the item found by the last itemBefore call, trimmed of spaces and tabs (empty when equal). */
export let itemStart = 0;
export let itemEnd = 0;

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Finds the item that ends at `end` (exclusive) and returns where the one before it ends: the index of
 * the separating comma, or -1 when this was the first item. Start with end = value.length.
 */
export function itemBefore(value: string, end: number): number {
  let cut = end - 1;
  while (cut >= 0 && value.charCodeAt(cut) !== 44) cut--;
  let start = cut + 1;
  let stop = end;
  while (start < stop && isBlank(value.charCodeAt(start))) start++;
  while (stop > start && isBlank(value.charCodeAt(stop - 1))) stop--;
  itemStart = start;
  itemEnd = stop;
  return cut;
}
