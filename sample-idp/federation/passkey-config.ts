// Passkeys and security keys (WebAuthn) in the federation server's config, on the issuer's host:
// registered at first sign-in or in the security-info portal, used as a second factor, to sign
// in without a password (the sign-in page's autofill) and to reach acr urn:mfakit:acr:phr.
// Browsers allow them only on a host name (https://, or http://localhost), never on an IP
// address (config-checks.ts says so at start-up).
import { z } from 'zod';

export const passkeyConfigSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    /** `required`: an authenticator that does not verify the user (PIN, biometrics) is refused. */
    userVerification: z
      .enum(['preferred', 'required'], { error: "must be 'preferred' or 'required'" })
      .default('preferred'),
  })
  .default({ enabled: true, userVerification: 'preferred' });
