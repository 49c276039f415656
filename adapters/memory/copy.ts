// The memory stores keep and hand out deep copies, so no caller can change a stored record by
// mutating an object it passed in or got back (the contract checks this for every aggregate).

export const copy = <T>(value: T): T => structuredClone(value);
