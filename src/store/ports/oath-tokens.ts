// OATH token inventory: hardware tokens imported by an administrator (secrets sealed), each
// assigned to at most one user. The contract checks: an import is all or nothing (an existing
// or repeated serial refuses the whole batch), a free token is assigned atomically (fifty users
// racing for one token: exactly one holds it) together with the method it becomes, and only its
// holder can free it; a sealed secret is replaced only while it is still the one read
// (sealing-key rotation: `mfakit reseal`).
import type { MethodRecord } from './methods.ts';

/** How a token makes its codes: by time (TOTP) or by counter (HOTP). */
export type OtpKind = 'totp' | 'hotp';

/** An OATH hardware token in the inventory, assigned to at most one user. */
export interface OathTokenRecord {
  serial: string;
  kind: OtpKind;
  sealedSecret: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 8;
  period: number;
  assignedTo: string | null;
  importedAt: number;
}

export interface OathTokenStore {
  /** Inserts tokens; all or nothing. Fails if a serial already exists. */
  importTokens(tokens: OathTokenRecord[]): Promise<void>;
  getToken(serial: string): Promise<OathTokenRecord | null>;
  /** By serial. */
  listTokens(): Promise<OathTokenRecord[]>;
  /**
   * Atomically assigns an unassigned token; false if taken or absent. With `method` (the user's
   * method for this token), inserts it in the same atomic write: the token assigned and the
   * method registered, or neither (a refused insert rejects and leaves the token free).
   */
  assignToken(serial: string, userId: string, method?: MethodRecord): Promise<boolean>;
  /** Frees one token held by `userId`; false if that user does not hold it. */
  unassignToken(serial: string, userId: string): Promise<boolean>;
  unassignTokens(userId: string): Promise<number>;
  /**
   * Compare-and-set of a token's sealed secret (sealing-key rotation): replaces it with `sealed`
   * only if the token exists and its sealed secret is still `expected`. Returns whether it did.
   */
  replaceTokenSecret(serial: string, expected: string, sealed: string): Promise<boolean>;
}
