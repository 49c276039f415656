// Methods: the second-factor methods a user has registered (TOTP apps, HOTP, OATH hardware
// tokens), each with its secret sealed before it reaches the store. The contract checks: an
// existing id is refused on insert, a user only ever sees and deletes their own methods, lists
// are oldest first, records go in and come out as copies, and of fifty concurrent deletes of
// one method exactly one reports it removed.

export type MethodKind = 'totp' | 'hotp';

/** A registered second-factor method. `sealedSecret` is AES-256-GCM sealed; the store never sees a seed. */
export interface MethodRecord {
  id: string;
  userId: string;
  kind: MethodKind;
  label: string;
  sealedSecret: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 8;
  /** TOTP period in seconds (0 for HOTP). */
  period: number;
  /** Serial number of an OATH hardware token, when the method is one. */
  tokenSerial: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface MethodStore {
  /**
   * `lastUsed: false` (what a verification asks for) lets an adapter skip working out
   * `lastUsedAt`, which may then be older than the method's last use.
   */
  listMethods(userId: string, options?: { lastUsed?: boolean }): Promise<MethodRecord[]>;
  getMethod(userId: string, methodId: string): Promise<MethodRecord | null>;
  insertMethod(method: MethodRecord): Promise<void>;
  /** Returns whether a method was removed. */
  deleteMethod(userId: string, methodId: string): Promise<boolean>;
  deleteAllMethods(userId: string): Promise<number>;
}
