// What a body reader (express.json / express.urlencoded, i.e. body-parser over raw-body) refused,
// told from the error it passes to next(): a body over its limit, a body that does not parse, or one
// it could not read at all (a charset or Content-Encoding it does not decode, a gzip body that is
// not gzip, a length that does not match Content-Length). Written once; each error handler (the
// Express router, the policy admin API, the device API) turns the answer into its own words.

/** A body reader's refusal: always the client's fault, so always a 4xx. */
export interface BodyReaderFailure {
  /**
   * `too_large`: over the reader's limit (413). `malformed`: read, but not valid JSON (400).
   * `unreadable`: not decodable or not whole — an unsupported charset or Content-Encoding (415), a
   * compressed body that does not decompress, a length that does not match (400).
   */
  kind: 'too_large' | 'malformed' | 'unreadable';
  /** The status the reader gave it (a 4xx). */
  status: number;
  /** For `too_large`: the reader's limit as its option is written (`16kb`, `1mb`), when the error says. */
  limit?: string;
  /** body-parser's name for the failure (`charset.unsupported`, …); absent for a stream's own error. */
  type?: string;
}

/**
 * The body reader's refusal `err` is, or null for anything that is not a client's fault (no 4xx
 * status: a stream already read, a store failure…). body-parser marks every refusal with an
 * http-errors status and, all but a decompression stream's own error (zlib's, status 400), with a
 * `type`; so any other error with a 4xx status is taken for an `unreadable` body too. A handler
 * checks its own 4xx errors (MfaError, CSRF) before asking.
 */
export function bodyReaderFailure(err: unknown): BodyReaderFailure | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; limit?: unknown };
  const status = e.status ?? e.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  const type = typeof e.type === 'string' ? e.type : undefined;
  if (type === 'entity.too.large') {
    const limit = typeof e.limit === 'number' ? limitText(e.limit) : undefined;
    return { kind: 'too_large', status, type, ...(limit === undefined ? {} : { limit }) };
  }
  if (type === 'entity.parse.failed') return { kind: 'malformed', status, type };
  return { kind: 'unreadable', status, ...(type === undefined ? {} : { type }) };
}

/** A byte count as a body-parser `limit` option would say it: `16kb`, `1mb`, else `20000 bytes`. */
function limitText(bytes: number): string {
  for (const [unit, size] of [
    ['gb', 1024 ** 3],
    ['mb', 1024 ** 2],
    ['kb', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}
