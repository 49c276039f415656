import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ACR_LADDER, ACR_MFA, ACR_PHISHING_RESISTANT } from './acr.ts';

/**
 * The demo relying party's settings, validated so that a mistake is reported at start-up
 * with the field's name.
 */
/** "is required" when absent, `message` when of the wrong type. */
const typeError = (message: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : message;

const httpUrl = (what: string) =>
  z
    .string({ error: typeError(`must be the ${what}, as a string`) })
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
      error: `must be an absolute http:// or https:// URL (the ${what})`,
    })
    .refine((v) => !URL.canParse(v) || (new URL(v).search === '' && new URL(v).hash === ''), {
      error: 'must not have a query string or a fragment',
    });

const nonEmpty = (what: string) =>
  z
    .string({ error: typeError(`must be ${what}, as a string`) })
    .min(1, { error: `must be ${what}, not empty` });

export const demoRpConfigSchema = z
  .object({
    /** The OP's issuer identifier; its metadata is discovered from `<issuer>/.well-known/openid-configuration`. */
    issuer: httpUrl("OpenID Provider's issuer"),
    clientId: nonEmpty('the client_id registered at the OP'),
    clientSecret: nonEmpty('the client_secret registered at the OP'),
    /** How the client authenticates at the token endpoint; must match its registration at the OP. */
    tokenEndpointAuthMethod: z
      .enum(['client_secret_basic', 'client_secret_post'], {
        error: "must be 'client_secret_basic' or 'client_secret_post'",
      })
      .default('client_secret_basic'),
    /** Must be registered at the OP, and be this app's `/callback`. */
    redirectUri: httpUrl('redirect URI registered at the OP').refine(
      (v) => !URL.canParse(v) || new URL(v).pathname === '/callback',
      { error: "must end in /callback: that is where this app receives the OP's answer" },
    ),
    /** Must be registered at the OP (post_logout_redirect_uris); normally this app's `/signed-out`. */
    postLogoutRedirectUri: httpUrl('post-logout redirect URI registered at the OP'),
    /** Where this app is reached; an https:// base URL makes the session cookie Secure. */
    baseUrl: httpUrl("app's public base URL"),
    sessionSecret: z
      .string({ error: typeError('must be a string of at least 16 characters') })
      .min(16, { error: 'must be at least 16 characters' }),
    /** The acr the "sensitive action" page needs; one of the known levels. */
    acrForSensitive: z
      .enum(ACR_LADDER as [string, ...string[]], { error: `must be one of ${ACR_LADDER.join(', ')}` })
      .default(ACR_MFA),
    /** The acr the "approve payments" page needs (default: phishing-resistant, a passkey or security key). */
    acrForPayments: z
      .enum(ACR_LADDER as [string, ...string[]], { error: `must be one of ${ACR_LADDER.join(', ')}` })
      .default(ACR_PHISHING_RESISTANT),
    scope: z
      .string({ error: 'must be a space-separated list of scopes' })
      .refine((v) => v.split(' ').includes('openid'), { error: "must include 'openid'" })
      .default('openid profile email'),
    /** openid-client refuses http:// issuers unless told otherwise: for a localhost demo or tests only. */
    allowInsecureHttp: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .superRefine((c, ctx) => {
    if (URL.canParse(c.issuer) && new URL(c.issuer).protocol === 'http:' && !c.allowInsecureHttp) {
      ctx.addIssue({
        code: 'custom',
        path: ['issuer'],
        message:
          'is http://, which openid-client refuses: use https://, or set allowInsecureHttp: true (local demo only)',
      });
    }
    if (URL.canParse(c.redirectUri) && URL.canParse(c.baseUrl)) {
      if (new URL(c.redirectUri).origin !== new URL(c.baseUrl).origin) {
        ctx.addIssue({
          code: 'custom',
          path: ['redirectUri'],
          message: `must be on this app's origin (${new URL(c.baseUrl).origin}), like baseUrl`,
        });
      }
    }
  });

/** What `createDemoRp` accepts (fields with a default are optional). */
export type DemoRpConfig = z.input<typeof demoRpConfigSchema>;
/** The config after validation and defaults. */
export type ResolvedDemoRpConfig = z.output<typeof demoRpConfigSchema>;

export function parseDemoRpConfig(input: unknown): ResolvedDemoRpConfig {
  const parsed = demoRpConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`)
      .join('\n  ');
    throw new Error(`invalid demo RP config:\n  ${problems}`);
  }
  return parsed.data;
}

const envSchema = z.object({
  DEMO_RP_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a port number' })
    .min(0, { error: 'must be a port number' })
    .max(65535, { error: 'must be a port number' })
    .default(3002),
  DEMO_RP_HOST: z.string().default('127.0.0.1'),
  DEMO_RP_ALLOW_INSECURE_HTTP: z
    .enum(['true', 'false'], { error: "must be 'true' or 'false'" })
    .default('false')
    .transform((v) => v === 'true'),
});

/**
 * Settings from environment variables, for running the RP on its own:
 * DEMO_RP_ISSUER, DEMO_RP_CLIENT_ID (default demo-rp), DEMO_RP_CLIENT_SECRET,
 * DEMO_RP_TOKEN_AUTH_METHOD, DEMO_RP_PORT (default 3002), DEMO_RP_HOST (default 127.0.0.1),
 * DEMO_RP_BASE_URL (default http://localhost:<port>), DEMO_RP_REDIRECT_URI (default
 * <base>/callback), DEMO_RP_POST_LOGOUT_REDIRECT_URI (default <base>/signed-out),
 * DEMO_RP_SESSION_SECRET (default: random, sessions end at restart), DEMO_RP_ACR_FOR_SENSITIVE,
 * DEMO_RP_ACR_FOR_PAYMENTS,
 * DEMO_RP_SCOPE, DEMO_RP_ALLOW_INSECURE_HTTP (true|false, default false).
 */
export function demoRpConfigFromEnv(env: NodeJS.ProcessEnv): {
  config: ResolvedDemoRpConfig;
  port: number;
  host: string;
} {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ');
    throw new Error(`invalid demo RP settings:\n  ${problems}`);
  }
  const { DEMO_RP_PORT: port, DEMO_RP_HOST: host, DEMO_RP_ALLOW_INSECURE_HTTP } = parsed.data;
  const baseUrl = (env.DEMO_RP_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const fields: Record<string, unknown> = {
    issuer: env.DEMO_RP_ISSUER,
    clientId: env.DEMO_RP_CLIENT_ID ?? 'demo-rp',
    clientSecret: env.DEMO_RP_CLIENT_SECRET,
    tokenEndpointAuthMethod: env.DEMO_RP_TOKEN_AUTH_METHOD,
    redirectUri: env.DEMO_RP_REDIRECT_URI ?? `${baseUrl}/callback`,
    postLogoutRedirectUri: env.DEMO_RP_POST_LOGOUT_REDIRECT_URI ?? `${baseUrl}/signed-out`,
    baseUrl,
    sessionSecret: env.DEMO_RP_SESSION_SECRET ?? randomBytes(32).toString('hex'),
    acrForSensitive: env.DEMO_RP_ACR_FOR_SENSITIVE,
    acrForPayments: env.DEMO_RP_ACR_FOR_PAYMENTS,
    scope: env.DEMO_RP_SCOPE,
    allowInsecureHttp: DEMO_RP_ALLOW_INSECURE_HTTP,
  };
  const envName: Record<string, string> = {
    issuer: 'DEMO_RP_ISSUER',
    clientId: 'DEMO_RP_CLIENT_ID',
    clientSecret: 'DEMO_RP_CLIENT_SECRET',
    tokenEndpointAuthMethod: 'DEMO_RP_TOKEN_AUTH_METHOD',
    redirectUri: 'DEMO_RP_REDIRECT_URI',
    postLogoutRedirectUri: 'DEMO_RP_POST_LOGOUT_REDIRECT_URI',
    baseUrl: 'DEMO_RP_BASE_URL',
    sessionSecret: 'DEMO_RP_SESSION_SECRET',
    acrForSensitive: 'DEMO_RP_ACR_FOR_SENSITIVE',
    acrForPayments: 'DEMO_RP_ACR_FOR_PAYMENTS',
    scope: 'DEMO_RP_SCOPE',
    allowInsecureHttp: 'DEMO_RP_ALLOW_INSECURE_HTTP',
  };
  const result = demoRpConfigSchema.safeParse(
    Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  );
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => {
        const field = String(i.path[0] ?? '');
        const message = i.message.replaceAll('allowInsecureHttp: true', 'DEMO_RP_ALLOW_INSECURE_HTTP=true');
        return `${envName[field] ?? field}: ${message}`;
      })
      .join('\n  ');
    throw new Error(`invalid demo RP settings:\n  ${problems}`);
  }
  return { config: result.data, port, host };
}
