// mfakit/passport — the second factor the Passport 0.7 way. First step, in your first-factor
// strategy's custom callback: `beginMfa()` puts the user into a pending sign-in (not
// `req.user`). Second step: `mfaPage(mfa)` serves the page (code prompt, first-method
// registration, recovery codes) and `passport.authenticate('mfa', { keepSessionInfo: true,
// successReturnToOrRedirect, failureRedirect, failureMessage })` runs `MfaStrategy` on its
// POST, so Passport logs the user in. Sign-out: `logoutMfa()`. Passwordless: `PasskeyStrategy`
// ('passkey') is a first factor like passport-local, whose user goes to `beginMfa()` too. Legacy
// clients over HTTP Basic: `AppPasswordStrategy` ('app-password'), app passwords, no session.
export type {
  AppPasswordAuthInfo,
  AppPasswordRefusal,
  AppPasswordStrategyOptions,
} from './app-password-strategy.ts';
export { AppPasswordStrategy, SESSION_FALSE_REQUIRED } from './app-password-strategy.ts';
export type { BeginMfaOptions } from './begin-mfa.ts';
export { beginMfa, logoutMfa } from './begin-mfa.ts';
export type { MfaPageOptions } from './mfa-page.ts';
export { mfaPage } from './mfa-page.ts';
export type {
  MfaAuthenticateOptions,
  MfaAuthInfo,
  MfaChallenge,
  MfaFailureCode,
  MfaStrategyOptions,
} from './mfa-strategy.ts';
export { KEEP_SESSION_INFO_REQUIRED, MFA_MESSAGES, MfaStrategy } from './mfa-strategy.ts';
export type {
  PasskeyAuthInfo,
  PasskeyChallenge,
  PasskeyFailureCode,
  PasskeyStrategyOptions,
} from './passkey-strategy.ts';
export { PASSKEY_MESSAGES, PasskeyStrategy } from './passkey-strategy.ts';
