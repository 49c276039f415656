// User states: an administrator's per-user MFA setting (disabled, enabled, enforced), absent
// until set. The contract checks that each user holds the latest value set, apart from others.

export type UserMfaState = 'disabled' | 'enabled' | 'enforced';

export interface UserStateStore {
  getUserState(userId: string): Promise<UserMfaState | null>;
  setUserState(userId: string, state: UserMfaState): Promise<void>;
}
