// OATH hardware tokens: the inventory an administrator imports (a CSV, see csv.ts), the
// assignment of one token to one user (which registers it as the user's `totp` or `hotp` method,
// its counter keyed by serial), listing without secrets, and HOTP counter resynchronisation.
import type { Sealer } from '../../crypto/seal.ts';
import type { AuditLog } from '../../engine/audit-log.ts';
import { type Clock, type RandomSource, randomId } from '../../engine/capabilities.ts';
import { MfaError } from '../../errors.ts';
import type { MethodRecord, OathTokenRecord, Repository } from '../../store/ports.ts';
import { hotpMatchCounter } from '../otp/otp.ts';
import { otpDataOf, otpRecord, sealedSecretContext } from '../otp/otp-record.ts';
import { type ParsedToken, parseTokenCsv, SERIAL_PATTERN } from './csv.ts';

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
      // A serial the import would refuse names no token: not looked up (nor echoed back).
      if (!SERIAL_PATTERN.test(serial))
        throw new MfaError(
          'token_unavailable',
          'no token has that serial (1-64 characters of A-Z a-z 0-9 . _ -)',
          409,
        );
      const token = await repository.getToken(serial);
      if (!token || token.assignedTo !== null) throw unavailable();
      // Prepare everything that can fail before the assignment, so a failure leaves the token free.
      const seed = sealer.open(token.sealedSecret, tokenSecretContext(serial));
      const id = randomId(random, 12);
      const method = otpRecord({
        id,
        userId,
        kind: token.kind,
        label: label.trim().slice(0, 64) || `Hardware token ${serial}`,
        data: {
          sealedSecret: sealer.seal(seed, sealedSecretContext(userId, id)),
          algorithm: token.algorithm,
          digits: token.digits,
          period: token.kind === 'totp' ? token.period : 0,
          tokenSerial: serial,
        },
        createdAt: clock.now(),
        lastUsedAt: null,
      });
      // The atomic part: of concurrent callers, one wins; the token is assigned and becomes the
      // user's method in one write, so a process that dies meanwhile leaves both or neither.
      if (!(await repository.assignToken(serial, userId, method))) throw unavailable();
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
      const data = otpDataOf(method);
      const counterKey = method.counterKey;
      if (counterKey === null)
        throw new MfaError('not_hotp', 'this method has no counter to resynchronise', 400);
      const c1 = code1.trim();
      const c2 = code2.trim();
      const digitsPattern = new RegExp(`^\\d{${data.digits}}$`);
      const seed = sealer.open(data.sealedSecret, sealedSecretContext(userId, method.id));
      const params = { algorithm: data.algorithm, digits: data.digits };
      const last = (await repository.getCounter(counterKey)) ?? -1;
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
      const moved = found !== null && (await repository.advance(counterKey, found));
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
        detail: data.tokenSerial ?? undefined,
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
