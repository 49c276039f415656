// User states: an administrator's per-user MFA setting (disabled, enabled, enforced), absent
// until set; and the user's own default sign-in method (Azure MFA's "default verification
// option"): a method id, absent until chosen, cleared by choosing none. The contract checks that
// each user holds the latest value set, apart from others.

export type UserMfaState = 'disabled' | 'enabled' | 'enforced';

export interface UserStateStore {
  getUserState(userId: string): Promise<UserMfaState | null>;
  setUserState(userId: string, state: UserMfaState): Promise<void>;
  /** The id of the method the user chose as their default, or null (it may since have been removed). */
  getDefaultMethod(userId: string): Promise<string | null>;
  /** Sets the user's default method (null: none). */
  setDefaultMethod(userId: string, methodId: string | null): Promise<void>;
}
