// The federation server's side of mfakit's first-factor gate: its local directory as the
// accounts, its claims-provider trusts as the home realms. The interaction login and the
// security-info portal both sign in through this one gate.
import type { FirstFactorGate, Mfa } from 'mfakit';
import type { LocalDirectory } from './directory.ts';

export function createSignInGate(
  mfa: Mfa,
  directory: LocalDirectory,
  homeRealmOf: (email: string) => string | null,
): FirstFactorGate {
  return mfa.firstFactorGate({
    resolve(identifier) {
      const user = directory.find(identifier);
      return user ? { id: user.id, email: user.email } : null;
    },
    verifyPassword: (accountId, password) => directory.verifyPassword(accountId, password),
    homeRealmOf,
  });
}
