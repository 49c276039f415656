// mfakit/oidc — MFA for oidc-provider identity providers: `createOidcMfa(mfa, { stores })`,
// whose `createProvider()` builds the Provider with the interaction policy's `mfa` prompt
// (step-up by acr_values, conditional access per client) and whose `mount(app)` serves the
// pages that run the second factor and finish the interaction with
// `login = { accountId, amr, acr }`, and whose `passkeySignInForm(uid)` puts a passwordless
// passkey sign-in (autofill) on your login page; and a storage Adapter backed by mfakit's stores.

export { ACR_VALUES, acrRank, meetsAcr, requestedAcr } from './acr.ts';
export {
  createOidcAdapter,
  type OidcAdapter,
  type OidcAdapterConstructor,
  type OidcAdapterOptions,
  type OidcAdapterPayload,
} from './adapter.ts';
export { MFA_PROMPT, mfaInteractionPolicy } from './interaction-policy.ts';
export { createMfaInteractionRouter } from './interaction-routes.ts';
export { createOidcMfa, type FirstFactor, type OidcMfa, type OidcMfaOptions } from './oidc-mfa.ts';
