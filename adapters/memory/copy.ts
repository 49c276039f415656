// The memory stores keep and hand out deep copies, so no caller can change a stored record by
// mutating an object it passed in or got back (the contract checks this for every aggregate).
//
// Every stored record is plain data (JSON-like objects, arrays and primitives), copied here by a
// small recursive walk: structuredClone serialises and deserialises, and every code check lists
// the user's methods through it (≈ 10% of a memory-store TOTP verification's CPU time, with its
// garbage). Anything else (a typed array, a Date, a Map, a cycle deeper than MAX_DEPTH) is left
// to structuredClone, so the result is always the same as structuredClone's.

const MAX_DEPTH = 32;

export const copy = <T>(value: T): T => copyValue(value, 0) as T;

function copyValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') {
    // A symbol or a function: structuredClone refuses it, as it always has here.
    return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value;
  }
  if (depth >= MAX_DEPTH) return structuredClone(value);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) if (i in value) out[i] = copyValue(value[i], depth + 1);
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = copyValue((value as Record<string, unknown>)[key], depth + 1);
    // An own `__proto__` key (JSON.parse makes one) stays a key, as with structuredClone.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}
