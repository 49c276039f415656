import { z } from 'zod';
import type { Sealer } from '../crypto/seal.ts';
import type { AuditLog } from '../engine/audit-log.ts';
import { type Clock, type RandomSource, randomId } from '../engine/capabilities.ts';
import { MfaError } from '../errors.ts';
import type { MethodKind, MethodRecord, OathTokenRecord, Repository } from '../store/ports.ts';
import { methodCounterKey } from '../store/ports.ts';
import { base32Decode } from './base32.ts';
import { hotpMatchCounter } from './otp.ts';
import { sealedSecretContext } from './otp-methods.ts';

/**
 * OATH hardware tokens (HOTP key fobs, TOTP display cards): a CSV import into the token
 * inventory, assignment of one token to one user (which creates the user's method),
 * listing without secrets, and HOTP counter resynchronisation.
 *
 * CSV format (one header line, then one token per line; order of columns is free):
 *
 *     serial,secret,algorithm,digits,period[,kind]
 *     HW-0001,3132333435363738393031323334353637383930,sha1,6,,hotp
 *     HW-0002,base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,SHA256,8,60,totp
 *
 * - `secret`: `hex:…` or `base32:…` explicitly; without a prefix it is hex when it consists
 *   of hex digits only, has an even length and at least 32 of them (16 bytes), else base32
 *   (RFC 4648, case-insensitive, padding optional). Use the prefix when in doubt.
 * - `kind`: `hotp` or `totp`; when absent or empty, `totp` if `period` > 0, else `hotp`.
 * - `period`: 15..120 seconds for TOTP; empty or 0 for HOTP.
 * Quoted fields are not supported (serials and secrets are simple tokens). Blank lines and
 * CRLF line ends are fine. The whole file is validated before anything is stored, and every
 * problem is reported with its line number: an import is all or nothing.
 */

export type OtpAlgorithmName = 'sha1' | 'sha256' | 'sha512';

/** One validated CSV row. `seed` is the raw shared secret: never log or return it to a client. */
export interface ParsedToken {
  /** Line number in the CSV (1-based). */
  line: number;
  serial: string;
  kind: MethodKind;
  algorithm: OtpAlgorithmName;
  digits: 6 | 8;
  /** Seconds; 0 for HOTP. */
  period: number;
  seed: Buffer;
}

/** A token of the inventory, without its secret. */
export type OathTokenSummary = Omit<OathTokenRecord, 'sealedSecret'>;

export interface OathTokenRequestContext {
  ip: string;
  requestId?: string | undefined;
}

export interface OathTokens {
  /** Validates a CSV; throws one MfaError `csv_invalid` listing every problem with its line. */
  parseCsv(text: string): { tokens: ParsedToken[] };
  /** Validates, seals and stores every token of the CSV, or none (`csv_invalid`, `token_exists`). */
  importCsv(text: string, ctx: OathTokenRequestContext): Promise<{ imported: number }>;
  /** Assigns an unassigned token to a user and creates the user's method (`token_unavailable` if taken or absent). */
  assign(serial: string, userId: string, label: string, ctx: OathTokenRequestContext): Promise<MethodRecord>;
  /**
   * HOTP resynchronisation: finds `code1` at counter c and `code2` at c + 1 within the
   * resync window after the last accepted counter, and moves the counter to c + 1.
   * Returns false when the two codes are not consecutive codes in the window.
   */
  resync(
    userId: string,
    methodId: string,
    code1: string,
    code2: string,
    ctx: OathTokenRequestContext,
  ): Promise<boolean>;
  list(): Promise<OathTokenSummary[]>;
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

const SERIAL_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

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
  .transform((t, ctx): { kind: MethodKind; period: number } => {
    const kind: MethodKind = t.kind === '' ? (t.period > 0 ? 'totp' : 'hotp') : t.kind;
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

/** The associated data a token's seed is sealed under while it sits in the inventory. */
export const tokenSecretContext = (serial: string) => `token:${serial}`;

export function createOathTokens(deps: {
  repository: Repository;
  sealer: Sealer;
  clock: Clock;
  random: RandomSource;
  /** How many counters past the last accepted one a resync searches. */
  resyncWindow: number;
  audit: AuditLog;
}): OathTokens {
  const { repository, sealer, clock, random, audit } = deps;

  return {
    parseCsv: parseTokenCsv,

    async importCsv(text, ctx) {
      const { tokens } = parseTokenCsv(text);
      const existingSerials = async () => {
        const known = new Set((await repository.listTokens()).map((t) => t.serial));
        return tokens.filter((t) => known.has(t.serial)).map((t) => t.serial);
      };
      const tokenExists = (serials: string[]) =>
        new MfaError(
          'token_exists',
          `already in the inventory: ${serials.slice(0, 20).join(', ')}${serials.length > 20 ? ` and ${serials.length - 20} more` : ''}; nothing was imported`,
          409,
        );
      const before = await existingSerials();
      if (before.length > 0) throw tokenExists(before);

      const now = clock.now();
      const records: OathTokenRecord[] = tokens.map((t) => ({
        serial: t.serial,
        kind: t.kind,
        sealedSecret: sealer.seal(t.seed, tokenSecretContext(t.serial)),
        algorithm: t.algorithm,
        digits: t.digits,
        period: t.period,
        assignedTo: null,
        importedAt: now,
      }));
      try {
        await repository.importTokens(records);
      } catch (err) {
        // A concurrent import may have stored one of these serials since the check above.
        const raced = await existingSerials().catch(() => []);
        if (raced.length > 0) throw tokenExists(raced);
        throw err;
      }
      await audit(null, ctx, { type: 'tokens_imported', data: { count: records.length } });
      return { imported: records.length };
    },

    async assign(serial, userId, label, ctx) {
      const unavailable = () =>
        new MfaError('token_unavailable', `token ${serial} is unknown or already assigned`, 409);
      const token = await repository.getToken(serial);
      if (!token || token.assignedTo !== null) throw unavailable();
      // Prepare everything that can fail before the assignment, so a failure leaves the token free.
      const seed = sealer.open(token.sealedSecret, tokenSecretContext(serial));
      const id = randomId(random, 12);
      const method: MethodRecord = {
        id,
        userId,
        kind: token.kind,
        label: label.trim().slice(0, 64) || `Hardware token ${serial}`,
        sealedSecret: sealer.seal(seed, sealedSecretContext(userId, id)),
        algorithm: token.algorithm,
        digits: token.digits,
        period: token.kind === 'totp' ? token.period : 0,
        tokenSerial: serial,
        createdAt: clock.now(),
        lastUsedAt: null,
      };
      // The atomic part: of concurrent callers, one wins.
      if (!(await repository.assignToken(serial, userId))) throw unavailable();
      await repository.insertMethod(method);
      await audit(userId, ctx, {
        type: 'token_assigned',
        methodId: id,
        methodKind: method.kind,
        detail: serial,
      });
      return method;
    },

    async resync(userId, methodId, code1, code2, ctx) {
      const method = await repository.getMethod(userId, methodId);
      if (!method) throw new MfaError('unknown_method', 'no such method for this user', 404);
      if (method.kind !== 'hotp')
        throw new MfaError('not_hotp', 'only HOTP methods have a counter to resynchronise', 400);
      const c1 = code1.trim();
      const c2 = code2.trim();
      const digitsPattern = new RegExp(`^\\d{${method.digits}}$`);
      const seed = sealer.open(method.sealedSecret, sealedSecretContext(userId, method.id));
      const params = { algorithm: method.algorithm, digits: method.digits };
      const last = (await repository.getCounter(methodCounterKey(method))) ?? -1;
      const end = last + 1 + deps.resyncWindow;

      let found: number | null = null;
      if (digitsPattern.test(c1) && digitsPattern.test(c2)) {
        // code1 may also occur at an earlier counter by chance: search on after each non-consecutive hit.
        let from = last + 1;
        while (from <= end) {
          const c = hotpMatchCounter(seed, c1, { ...params, from, lookAhead: end - from });
          if (c === null) break;
          if (hotpMatchCounter(seed, c2, { ...params, from: c + 1, lookAhead: 0 }) !== null) {
            found = c + 1;
            break;
          }
          from = c + 1;
        }
      }
      const moved = found !== null && (await repository.advance(methodCounterKey(method), found));
      if (!moved) {
        await audit(userId, ctx, {
          type: 'verify_failed',
          methodId,
          methodKind: method.kind,
          detail: found === null ? 'resync_code_mismatch' : 'resync_counter_moved',
        });
        return false;
      }
      await audit(userId, ctx, {
        type: 'counter_resynced',
        methodId,
        methodKind: method.kind,
        detail: method.tokenSerial ?? undefined,
        data: { from: last, to: found },
      });
      return true;
    },

    async list() {
      return (await repository.listTokens()).map((t) => ({
        serial: t.serial,
        kind: t.kind,
        algorithm: t.algorithm,
        digits: t.digits,
        period: t.period,
        assignedTo: t.assignedTo,
        importedAt: t.importedAt,
      }));
    },
  };
}
