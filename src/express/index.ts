export type { GuardReason, MfaExpress, MfaExpressOptions } from './create-mfa-express.ts';
export { createMfaExpress } from './create-mfa-express.ts';
export {
  answerFirstFactorFailure,
  type FirstFactorFailure,
  waitText,
} from './first-factor-failure.ts';
export { escapeHtml, html, SafeHtml } from './html.ts';
export { createPolicyAdminRouter, type PolicyAdminOptions } from './policy-admin.ts';
export type { MfaSessionState } from './session.ts';
export { whatIfBody, whatIfReport } from './what-if.ts';
