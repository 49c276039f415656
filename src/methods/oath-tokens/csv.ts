// The OATH token CSV an administrator imports into the token inventory (HOTP key fobs, TOTP
// display cards): parsed and validated here, without touching a store.
//
// CSV format (one header line, then one token per line; order of columns is free):
//
//     serial,secret,algorithm,digits,period[,kind]
//     HW-0001,3132333435363738393031323334353637383930,sha1,6,,hotp
//     HW-0002,base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,SHA256,8,60,totp
//
// - `secret`: `hex:…` or `base32:…` explicitly; without a prefix it is hex when it consists
//   of hex digits only, has an even length and at least 32 of them (16 bytes), else base32
//   (RFC 4648, case-insensitive, padding optional). Use the prefix when in doubt.
// - `kind`: `hotp` or `totp`; when absent or empty, `totp` if `period` > 0, else `hotp`.
// - `period`: 15..120 seconds for TOTP; empty or 0 for HOTP.
// Quoted fields are not supported (serials and secrets are simple tokens). Blank lines and
// CRLF line ends are fine. The whole file is validated before anything is stored, and every
// problem is reported with its line number: an import is all or nothing.
import { z } from 'zod';
import { MfaError } from '../../errors.ts';
import type { OtpKind } from '../../store/ports.ts';
import { base32Decode } from '../otp/base32.ts';

export type OtpAlgorithmName = 'sha1' | 'sha256' | 'sha512';

/** One validated CSV row. `seed` is the raw shared secret: never log or return it to a client. */
export interface ParsedToken {
  /** Line number in the CSV (1-based). */
  line: number;
  serial: string;
  kind: OtpKind;
  algorithm: OtpAlgorithmName;
  digits: 6 | 8;
  /** Seconds; 0 for HOTP. */
  period: number;
  seed: Buffer;
}

export const CSV_MAX_ROWS = 10_000;
export const CSV_MAX_BYTES = 2 * 1024 * 1024;
// RFC 4226 §4 R6: the shared secret MUST be at least 128 bits. 512 bits is the SHA-512 block-size bound we accept.
export const SEED_MIN_BYTES = 16;
export const SEED_MAX_BYTES = 64;
/** At most this many problems are spelt out in the error message; the rest are counted. */
const MAX_REPORTED_PROBLEMS = 100;

const REQUIRED_COLUMNS = ['serial', 'secret', 'algorithm', 'digits', 'period'] as const;
const OPTIONAL_COLUMNS = ['kind'] as const;
type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];
const KNOWN_COLUMNS: readonly string[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];

/** A token serial: what the CSV import accepts, so nothing else can name a stored token. */
export const SERIAL_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Decodes a secret field to bytes, or returns why it cannot (never echoing the secret). */
function decodeSecret(raw: string): Buffer | { problem: string } {
  const prefixed = /^(hex|base32):(.*)$/i.exec(raw);
  const looksHex = /^[0-9a-f]+$/i.test(raw);
  let encoding: 'hex' | 'base32';
  let body: string;
  if (prefixed) {
    encoding = prefixed[1]?.toLowerCase() === 'hex' ? 'hex' : 'base32';
    body = prefixed[2] ?? '';
  } else {
    encoding = looksHex && raw.length % 2 === 0 && raw.length >= SEED_MIN_BYTES * 2 ? 'hex' : 'base32';
    body = raw;
  }
  let seed: Buffer;
  if (encoding === 'hex') {
    if (!/^(?:[0-9a-f]{2})+$/i.test(body))
      return { problem: 'secret is not valid hex (an even number of 0-9a-f digits)' };
    seed = Buffer.from(body, 'hex');
  } else {
    try {
      seed = base32Decode(body);
    } catch {
      if (!prefixed && looksHex) {
        return {
          problem: `secret looks like hex but is not ${SEED_MIN_BYTES}+ bytes of it (at least ${SEED_MIN_BYTES * 2} hex digits, even count); prefix it with hex: or base32:`,
        };
      }
      return { problem: 'secret is not valid base32 (RFC 4648 A-Z 2-7) nor hex' };
    }
  }
  if (seed.length < SEED_MIN_BYTES) {
    return {
      problem: `secret is ${seed.length} bytes; at least ${SEED_MIN_BYTES} (128 bits, RFC 4226 R6) are required`,
    };
  }
  if (seed.length > SEED_MAX_BYTES)
    return { problem: `secret is ${seed.length} bytes; at most ${SEED_MAX_BYTES} are allowed` };
  return seed;
}

const lower = (s: string) => s.toLowerCase();

/** Per-field validation of a row (all as trimmed strings). */
const fieldsSchema = z.object({
  serial: z.string().regex(SERIAL_PATTERN, 'serial must be 1-64 characters of A-Z a-z 0-9 . _ -'),
  secret: z
    .string()
    .min(1, 'secret is empty')
    .transform((raw, ctx) => {
      const decoded = decodeSecret(raw);
      if (Buffer.isBuffer(decoded)) return decoded;
      ctx.addIssue({ code: 'custom', message: decoded.problem });
      return z.NEVER;
    }),
  algorithm: z
    .string()
    .transform(lower)
    .pipe(z.enum(['sha1', 'sha256', 'sha512'], { error: 'algorithm must be sha1, sha256 or sha512' })),
  digits: z.enum(['6', '8'], { error: 'digits must be 6 or 8' }).transform((d): 6 | 8 => (d === '6' ? 6 : 8)),
});

/** kind and period depend on each other, so they are validated together. */
const timingSchema = z
  .object({
    kind: z
      .string()
      .transform(lower)
      .pipe(z.enum(['', 'hotp', 'totp'], { error: 'kind must be hotp or totp (or empty)' })),
    period: z
      .string()
      .regex(/^\d{0,6}$/, 'period must be a whole number of seconds (or empty for HOTP)')
      .transform((p) => (p === '' ? 0 : Number(p))),
  })
  .transform((t, ctx): { kind: OtpKind; period: number } => {
    const kind: OtpKind = t.kind === '' ? (t.period > 0 ? 'totp' : 'hotp') : t.kind;
    if (kind === 'totp' && (t.period < 15 || t.period > 120)) {
      ctx.addIssue({ code: 'custom', message: 'period must be 15 to 120 seconds for TOTP' });
      return z.NEVER;
    }
    if (kind === 'hotp' && t.period !== 0) {
      ctx.addIssue({ code: 'custom', message: 'period must be empty or 0 for HOTP' });
      return z.NEVER;
    }
    return { kind, period: kind === 'hotp' ? 0 : t.period };
  });

function csvError(problems: string[], status = 400): MfaError {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  const more = problems.length - shown.length;
  const message = more > 0 ? `${shown.join('; ')}; … and ${more} more problem(s)` : shown.join('; ');
  return new MfaError('csv_invalid', message, status);
}

const splitFields = (line: string) => line.split(',').map((f) => f.trim());

/** Parses and validates an OATH token CSV. Pure: no store access. */
export function parseTokenCsv(text: string): { tokens: ParsedToken[] } {
  if (Buffer.byteLength(text, 'utf8') > CSV_MAX_BYTES) {
    throw csvError(
      [`the CSV is larger than ${CSV_MAX_BYTES / (1024 * 1024)} MB; split it into several imports`],
      413,
    );
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const numbered = lines
    .map((content, i) => ({ line: i + 1, content }))
    .filter((l) => l.content.trim() !== '');
  const [headerLine, ...rows] = numbered;
  if (!headerLine)
    throw csvError(['line 1: the CSV is empty; expected a header serial,secret,algorithm,digits,period']);

  // Header.
  const headerProblems: string[] = [];
  const at = (line: number, problem: string) => `line ${line}: ${problem}`;
  if (headerLine.content.includes('"'))
    headerProblems.push(at(headerLine.line, 'quoted fields are not supported'));
  const header = splitFields(headerLine.content).map(lower);
  const columnIndex = new Map<Column, number>();
  if (!header.some((name) => KNOWN_COLUMNS.includes(name))) {
    // Most likely a file without a header: say so, and do not echo the line (it may hold a secret).
    throw csvError([
      at(headerLine.line, `the first line must be the header ${REQUIRED_COLUMNS.join(',')}[,kind]`),
    ]);
  }
  header.forEach((name, i) => {
    if (!KNOWN_COLUMNS.includes(name)) {
      // Short names are echoed to help fix a typo; long ones could be a secret pasted into the header.
      const shown = /^[a-z0-9_ -]{1,16}$/.test(name) ? `"${name}"` : `${i + 1}`;
      headerProblems.push(
        at(headerLine.line, `unknown column ${shown} (expected ${KNOWN_COLUMNS.join(', ')})`),
      );
    } else if (columnIndex.has(name as Column)) {
      headerProblems.push(at(headerLine.line, `column "${name}" appears twice`));
    } else {
      columnIndex.set(name as Column, i);
    }
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !columnIndex.has(c));
  if (missing.length > 0)
    headerProblems.push(at(headerLine.line, `missing column(s): ${missing.join(', ')}`));
  if (headerProblems.length > 0) throw csvError(headerProblems);

  if (rows.length === 0) throw csvError([at(headerLine.line, 'the CSV has a header but no token rows')]);
  const firstExcess = rows[CSV_MAX_ROWS];
  if (firstExcess) {
    throw csvError([
      at(firstExcess.line, `too many rows: at most ${CSV_MAX_ROWS} tokens per import (found ${rows.length})`),
    ]);
  }

  // Rows.
  const problems: string[] = [];
  const tokens: ParsedToken[] = [];
  const firstLineOfSerial = new Map<string, number>();
  const field = (fields: string[], column: Column) => {
    const i = columnIndex.get(column);
    return i === undefined ? '' : (fields[i] ?? '');
  };
  for (const { line, content } of rows) {
    if (content.includes('"')) {
      problems.push(at(line, 'quoted fields are not supported (remove the " characters)'));
      continue;
    }
    const fields = splitFields(content);
    if (fields.length !== header.length) {
      problems.push(
        at(line, `expected ${header.length} fields (${header.join(',')}), found ${fields.length}`),
      );
      continue;
    }
    const rowProblems: string[] = [];
    const parsedFields = fieldsSchema.safeParse({
      serial: field(fields, 'serial'),
      secret: field(fields, 'secret'),
      algorithm: field(fields, 'algorithm'),
      digits: field(fields, 'digits'),
    });
    const parsedTiming = timingSchema.safeParse({
      kind: field(fields, 'kind'),
      period: field(fields, 'period'),
    });
    if (!parsedFields.success) rowProblems.push(...parsedFields.error.issues.map((i) => i.message));
    if (!parsedTiming.success) rowProblems.push(...parsedTiming.error.issues.map((i) => i.message));

    const serial = field(fields, 'serial');
    if (serial !== '') {
      const first = firstLineOfSerial.get(serial);
      if (first !== undefined) rowProblems.push(`serial ${serial} is a duplicate of line ${first}`);
      else firstLineOfSerial.set(serial, line);
    }
    if (rowProblems.length > 0 || !parsedFields.success || !parsedTiming.success) {
      problems.push(...rowProblems.map((p) => at(line, p)));
      continue;
    }
    const { secret, algorithm, digits } = parsedFields.data;
    tokens.push({
      line,
      serial,
      kind: parsedTiming.data.kind,
      algorithm,
      digits,
      period: parsedTiming.data.period,
      seed: secret,
    });
  }
  if (problems.length > 0) throw csvError(problems);
  return { tokens };
}
