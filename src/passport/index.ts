/**
 * mfakit/passport — the second factor as a Passport 0.7 strategy.
 *
 * First step (your first-factor strategy's custom callback): `beginMfa()` puts the user into
 * the pending principal, not `req.user`. Second step: `authenticateMfa(passport)` runs the
 * 'mfa' strategy and logs the user in with the AuthStamp kept. Sign-out: `logoutMfa()`.
 */
export type {
  AuthenticateMfaOptions,
  BeginMfaOptions,
  MfaAuthenticateOptions,
  MfaAuthInfo,
  MfaChallenge,
  MfaFailureCode,
  MfaStrategyOptions,
  PassportLike,
} from './mfa-strategy.ts';
export {
  authenticateMfa,
  beginMfa,
  KEEP_SESSION_INFO_REQUIRED,
  logoutMfa,
  MFA_MESSAGES,
  MfaStrategy,
  passportSignIn,
} from './mfa-strategy.ts';
