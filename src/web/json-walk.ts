// Looking into JSON values a request shaped, depth first over an explicit stack, never by
// recursion: a body or URL of a few kB can nest thousands of levels, past what a recursive walk
// (or JSON.stringify, structuredClone) survives, and a stack overflow is a 500 where a 400 is due.

/** What is wrong with such a value: nested too deeply, or a NUL (U+0000) in a string or key. */
export type JsonProblem = 'too_deep' | 'nul';

/**
 * The first problem found in `value`: an object or array `max` or more levels below the top
 * one, or, with `refuseNul`, a NUL in a string or a key at any depth. Null when there is none.
 */
export function jsonProblem(value: unknown, max: number, refuseNul = false): JsonProblem | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const inner = item.value;
    if (typeof inner === 'string') {
      if (refuseNul && inner.includes('\u0000')) return 'nul';
      continue;
    }
    if (typeof inner !== 'object' || inner === null) continue;
    if (item.depth >= max) return 'too_deep';
    for (const [key, member] of Object.entries(inner)) {
      if (refuseNul && key.includes('\u0000')) return 'nul';
      stack.push({ value: member, depth: item.depth + 1 });
    }
  }
  return null;
}

/** Whether `value` nests objects or arrays more than `max` deep. */
export const nestedDeeperThan = (value: unknown, max: number): boolean =>
  jsonProblem(value, max) === 'too_deep';
