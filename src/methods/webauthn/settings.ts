// The settings of the WebAuthn method (`webauthn({ rpID, origins, … })`), validated with zod so a
// wrong relying-party id or origin is refused at start-up with its reason: browsers refuse
// WebAuthn on IP-address origins (`http://127.0.0.1` fails, `http://localhost` works), and every
// origin must be the relying-party id or one of its subdomains.
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';

const DOMAIN = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;
const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const originSchema = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `origin "${value}" is not a URL such as https://login.example.com`,
    });
    return z.NEVER;
  }
  if (!['https:', 'http:'].includes(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
    ctx.addIssue({
      code: 'custom',
      message: `origin "${value}" must be a scheme, host and optional port only, e.g. https://login.example.com`,
    });
    return z.NEVER;
  }
  if (url.protocol === 'http:' && url.hostname !== 'localhost') {
    ctx.addIssue({
      code: 'custom',
      message: `origin "${value}": browsers allow WebAuthn over http only on localhost`,
    });
    return z.NEVER;
  }
  return url.origin;
});

export const webauthnSettingsSchema = z
  .object({
    /** The relying-party id: your domain (`example.com`), or `localhost` in development. */
    rpID: z
      .string()
      .regex(
        DOMAIN,
        'rpID must be a domain name such as example.com or localhost (browsers refuse IP addresses and ports)',
      ),
    /** The name authenticators show. */
    rpName: z.string().min(1).max(64),
    /** The origins pages run on: each the rpID or a subdomain of it. */
    origins: z.array(originSchema).min(1, 'at least one origin is required'),
    /** `required`: refuse an authenticator that did not verify the user (PIN, biometrics). */
    userVerification: z.enum(['preferred', 'required']).default('preferred'),
    /** Discoverable credentials (passkeys), which passwordless sign-in needs. */
    residentKey: z.enum(['preferred', 'required', 'discouraged']).default('preferred'),
    /** `none` (the default): no attestation asked for, nothing to trust or store. */
    attestation: z.enum(['none', 'direct']).default('none'),
    /** Authenticator models by AAGUID: only these (`allow`), never these (`deny`). */
    aaguids: z
      .object({
        allow: z.array(z.string().toLowerCase().regex(AAGUID, 'an AAGUID is a UUID')).optional(),
        deny: z.array(z.string().toLowerCase().regex(AAGUID, 'an AAGUID is a UUID')).default([]),
      })
      .default({ deny: [] }),
    /** How long a ceremony may take. */
    timeoutSeconds: z.number().int().min(30).max(600).default(120),
    passwordless: z
      .object({
        /** Sign-in with a passkey and no password (a discoverable credential, user verification required). */
        enabled: z.boolean().default(true),
        /**
         * Whether such a sign-in counts as multi-factor and phishing-resistant (Entra ID's semantics:
         * possession of the key plus the user's PIN or biometrics). When false it is one factor, and
         * the policies may ask for another.
         */
        countsAsMultiFactor: z.boolean().default(true),
      })
      .default({ enabled: true, countsAsMultiFactor: true }),
  })
  .superRefine((s, ctx) => {
    s.origins.forEach((origin, i) => {
      const host = new URL(origin).hostname;
      if (host !== s.rpID && !host.endsWith(`.${s.rpID}`))
        ctx.addIssue({
          code: 'custom',
          path: ['origins', i],
          message: `origin ${origin} is not on rpID ${s.rpID} (its host must be the rpID or a subdomain of it)`,
        });
    });
  });

export type WebAuthnSettingsInput = z.input<typeof webauthnSettingsSchema>;
export type WebAuthnSettings = z.output<typeof webauthnSettingsSchema>;

export function resolveWebAuthnSettings(input: WebAuthnSettingsInput): WebAuthnSettings {
  const parsed = webauthnSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid webauthn settings: ${problems.join('; ')}`);
  }
  return parsed.data;
}
