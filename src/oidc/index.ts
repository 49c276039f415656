/**
 * mfakit/oidc — pieces for oidc-provider identity providers. So far: the storage Adapter
 * backed by mfakit's stores. The MFA interaction step is being built (issue 5).
 */
export {
  createOidcAdapter,
  type OidcAdapter,
  type OidcAdapterConstructor,
  type OidcAdapterOptions,
  type OidcAdapterPayload,
} from './adapter.ts';
