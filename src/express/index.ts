// mfakit/express — the Express integration (`createMfaExpress`: the sign-in start, the
// `requireMfa()` guard and the router of pages and JSON API), `requireAppPassword()` for legacy
// clients over HTTP Basic, the policy administration router
// and what-if report, and the HTML and first-factor-failure helpers for an application's own
// pages.

export { createDeviceApiRouter } from '../web/device-api.ts';
export {
  answerFirstFactorFailure,
  type FirstFactorFailure,
  waitText,
} from '../web/first-factor-failure.ts';
export { escapeHtml, html, SafeHtml, STYLE_CSS, trusted } from '../web/html.ts';
export {
  answerLegacyRefusal,
  type BasicCredentials,
  basicRealm,
  type LegacyBasicOutcome,
  type LegacyRefusalAnswer,
  type LegacySignIn,
  legacyBasicSignIn,
  legacyRefusalAnswer,
  parseBasicAuthorization,
} from '../web/legacy-basic-auth.ts';
export { answerOutage, OUTAGE_ANSWER } from '../web/outage.ts';
export type { MfaSessionState } from '../web/session.ts';
export type { GuardReason, MfaExpress, MfaExpressOptions } from './create-mfa-express.ts';
export { createMfaExpress } from './create-mfa-express.ts';
export { passkeySignInForm } from './passkey-routes.ts';
export { createPolicyAdminRouter, type PolicyAdminOptions } from './policy-admin.ts';
export { type RequireAppPasswordOptions, requireAppPassword } from './require-app-password.ts';
export { whatIfBody, whatIfReport } from './what-if.ts';
