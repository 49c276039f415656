import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ACR_MFA, ACR_PHISHING_RESISTANT, trustedProxySchema } from 'mfakit';
import {
  cidrSchema,
  loadPolicyFile,
  type PolicyDocument,
  PolicyLoadError,
  parsePolicyDocument,
} from 'mfakit/policy';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from '../password-hash.ts';
import { appPasswordsConfigSchema } from './app-password-config.ts';
import {
  applicationNameIssues,
  passkeyHostProblem,
  scryptParameterIssues,
  userPasswordProblem,
} from './config-checks.ts';
import { formatPath, type SubstitutionIssue, substituteEnv } from './env-substitution.ts';
import { onByDefault } from './feature-switch.ts';
import { passkeyConfigSchema } from './passkey-config.ts';
import { phoneCallConfigSchema } from './phone-call-config.ts';
import { radiusConfigSchema } from './radius-config.ts';

/**
 * The federation server's one config file (YAML or JSON), validated with zod so every
 * mistake is reported at start-up with its path (`relyingParties[0].redirectUris[0]: must be
 * an absolute http:// or https:// URL`). Secrets come from environment variables through
 * `${NAME}` / `${NAME:-demo default}` in string values. The vocabulary is AD FS's:
 *   - users: the local directory (a passwordHash each, or a password scrypt-hashed at start;
 *     mfaState written into mfakit);
 *   - relyingParties: relying-party trusts (OIDC clients) — claims released, required level;
 *   - claimsProviders: claims-provider trusts (upstream OIDC IdPs) — home-realm discovery by
 *     e-mail domain, what to make of the upstream's MFA, how its subjects map to accounts;
 *   - policies: mfakit conditional access (a file path relative to this file, or inline);
 *   - passkeys: WebAuthn on the issuer's host (rpID its host name, origin its origin), for the
 *     second factor, passwordless sign-in and the phishing-resistant level (passkey-config.ts);
 *   - textMessage, phoneCall: a code sent to the user's phone (printed on the console here), or
 *     a call answered on the phone's keypad (phone-call-config.ts; the development phone page
 *     answers it here);
 *   - pushNotifications: a phone app approves sign-ins by the number the page shows (the sample's
 *     terminal phone app: npm run phone-app);
 *   - radius: an optional RADIUS front end for VPNs (radius-config.ts);
 *   - appPasswords: for clients that cannot answer a second step (app-password-config.ts).
 */

export const MFA_STATES = ['disabled', 'enabled', 'enforced'] as const;
export const RELEASABLE_CLAIMS = ['name', 'email', 'groups'] as const;
export const MFA_BEHAVIORS = [
  'acceptIfMfaDoneByFederatedIdp',
  'enforceMfaByFederatedIdp',
  'rejectMfaByFederatedIdp',
] as const;
export type FederatedIdpMfaBehavior = (typeof MFA_BEHAVIORS)[number];

const typeError = (message: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : message;

const text = (what: string, max = 200) =>
  z
    .string({ error: typeError(`must be ${what}, as a string`) })
    .min(1, { error: `must be ${what}, not empty` })
    .max(max, { error: `must be at most ${max} characters` });

const httpUrl = z
  .string({ error: typeError('must be a URL, as a string') })
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
    error: 'must be an absolute http:// or https:// URL',
  })
  .refine((v) => !URL.canParse(v) || new URL(v).hash === '', { error: 'must not have a fragment' });

const identifier = (what: string) =>
  z.string({ error: typeError(`must be ${what}, as a string`) }).regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, {
    error: `must be ${what}: 1-64 of A-Z a-z 0-9 _ . @ -, starting with a letter or digit`,
  });

const secret = (what: string) =>
  z
    .string({ error: typeError(`must be ${what}, as a string (e.g. \${ENV_VAR})`) })
    .min(16, { error: `must be ${what} of at least 16 characters` });

const domain = z
  .string({ error: typeError('must be a domain name, as a string') })
  .transform((v) => v.toLowerCase())
  .refine((v) => /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(v), {
    error: 'must be a domain name such as partner.example',
  });

const userSchema = z
  .strictObject({
    id: identifier('a user name'),
    name: text('the display name'),
    email: z.email({ error: 'must be an e-mail address' }).transform((v) => v.toLowerCase()),
    /** Hashed at every start (scrypt, the directory's parameters): `passwordHash` is the deployment's way. */
    password: z
      .string({
        error: typeError(`must be a password, as a string (e.g. \${FED_PASSWORD_ALICE:-demo default})`),
      })
      .min(PASSWORD_MIN, { error: `must be at least ${PASSWORD_MIN} characters` })
      .max(PASSWORD_MAX, { error: `must be at most ${PASSWORD_MAX} characters` })
      .optional(),
    /** `scrypt$N=32768,r=8,p=1$<salt>$<hash>` from `npm run hash-password` (or the older `scrypt$<salt>$<hash>`). */
    passwordHash: z
      .string({ error: typeError('must be a password hash, as a string (npm run hash-password makes one)') })
      .optional(),
    groups: z.array(identifier('a group name')).default([]),
    /** Written into mfakit at every start: the config is the source of truth for the demo. */
    mfaState: z.enum(MFA_STATES, { error: `must be one of ${MFA_STATES.join(', ')}` }).optional(),
  })
  // Checked even when another field of the user is wrong (`when`), so one run reports every problem.
  .superRefine(
    (u, ctx) => {
      const message = userPasswordProblem(u);
      if (message) ctx.addIssue({ code: 'custom', path: ['passwordHash'], message });
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

const relyingPartySchema = z.strictObject({
  clientId: identifier('the client_id'),
  displayName: text('the name shown to users').optional(),
  clientSecret: secret('the client secret'),
  tokenEndpointAuthMethod: z
    .enum(['client_secret_basic', 'client_secret_post'], {
      error: "must be 'client_secret_basic' or 'client_secret_post'",
    })
    .default('client_secret_basic'),
  redirectUris: z
    .array(httpUrl, { error: 'must be a list of URLs' })
    .min(1, { error: 'needs at least one URL' }),
  postLogoutRedirectUris: z.array(httpUrl, { error: 'must be a list of URLs' }).default([]),
  /** Which claims this relying party receives (scopes still apply: profile → name, email, groups). */
  releaseClaims: z
    .array(z.enum(RELEASABLE_CLAIMS, { error: `must be one of ${RELEASABLE_CLAIMS.join(', ')}` }))
    .default(['name', 'email']),
  /** Only these groups are released in `groups` (absent: every group of the user). */
  releaseGroups: z.array(identifier('a group name')).optional(),
  /**
   * The level this relying party always needs, whatever it asks for: a requested level, as if
   * every request carried it in acr_values (mfakit/oidc's `requiredAcrOf`, see server.ts), so
   * it applies at sign-in and again on every authorization request of an existing session,
   * and a trusted network or a remembered device never meets it.
   */
  requiredAcr: z
    .enum([ACR_MFA, ACR_PHISHING_RESISTANT], { error: `must be ${ACR_MFA} or ${ACR_PHISHING_RESISTANT}` })
    .optional(),
  /** The application name conditional-access policies use for this relying party (default: clientId). */
  conditionalAccessApp: identifier('an application name').optional(),
});

const claimsProviderSchema = z.strictObject({
  id: z.string({ error: typeError('must be an id, as a string') }).regex(/^[a-z0-9][a-z0-9-]{0,31}$/, {
    error: 'must be 1-32 of a-z 0-9 -, starting with a letter or digit',
  }),
  displayName: text('the name on the "Sign in with" button'),
  issuer: httpUrl,
  clientId: text('the client_id registered at the claims provider'),
  clientSecret: secret('the client secret registered at the claims provider'),
  /** Home-realm discovery: an e-mail address in one of these domains signs in here. */
  emailDomains: z.array(domain).default([]),
  federatedIdpMfaBehavior: z
    .enum(MFA_BEHAVIORS, { error: `must be one of ${MFA_BEHAVIORS.join(', ')}` })
    .default('acceptIfMfaDoneByFederatedIdp'),
  /** The upstream's acr for a sign-in with MFA; required for enforceMfaByFederatedIdp. */
  mfaAcr: text('the acr value the claims provider issues after MFA').optional(),
  /**
   * upstreamAccount: the account is `upstream:<id>:<sub>`. linkByEmail: the local user with
   * the upstream's (verified) e-mail address — only for addresses in emailDomains, so a
   * partner can never sign in as someone outside its own domains; no match is refused.
   */
  accountMapping: z
    .enum(['upstreamAccount', 'linkByEmail'], { error: "must be 'upstreamAccount' or 'linkByEmail'" })
    .default('upstreamAccount'),
  /** Groups every account from this provider is in (for conditional access and `groups`). */
  groups: z.array(identifier('a group name')).default([]),
  scope: z
    .string({ error: 'must be a space-separated list of scopes' })
    .refine((v) => v.split(' ').includes('openid'), { error: "must include 'openid'" })
    .default('openid profile email'),
  /** openid-client refuses http:// issuers unless told otherwise: local demo only. */
  allowInsecureHttp: z.boolean({ error: 'must be true or false' }).default(false),
});

export const federationConfigSchema = z
  .strictObject({
    issuer: httpUrl.refine((v) => !URL.canParse(v) || new URL(v).search === '', {
      error: 'must not have a query string',
    }),
    /** Shown on the pages and in authenticator apps (mfakit's issuer name). */
    displayName: text('the service name', 64).default('mfakit federation'),
    /** The SQLite file (relative paths: from the working directory). */
    dataFile: text('a file path', 1000).default('data/federation.sqlite'),
    defaultUserState: z
      .enum(MFA_STATES, { error: `must be one of ${MFA_STATES.join(', ')}` })
      .default('enabled'),
    trustedNetworks: z.array(cidrSchema).default([]),
    trustedProxies: z.array(trustedProxySchema).default([]),
    rememberDeviceDays: z
      .number({ error: 'must be a number of days' })
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: 'must be at least 1' })
      .max(365, { error: 'must be at most 365' })
      .default(14),
    users: z.array(userSchema, { error: 'must be a list of users' }).default([]),
    relyingParties: z
      .array(relyingPartySchema, { error: 'must be a list of relying parties' })
      .min(1, { error: 'needs at least one relying party' }),
    claimsProviders: z
      .array(claimsProviderSchema, { error: 'must be a list of claims providers' })
      .default([]),
    /** A policy document, or the path of a .yaml/.json one (relative to the config file). */
    policies: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    passkeys: passkeyConfigSchema,
    // Codes, calls and notifications are printed on the server's console (no provider here).
    textMessage: onByDefault(),
    phoneCall: phoneCallConfigSchema,
    pushNotifications: onByDefault(),
    radius: radiusConfigSchema.optional(),
    appPasswords: appPasswordsConfigSchema,
  })
  .superRefine((c, ctx) => {
    const passkeyProblem = c.passkeys.enabled && URL.canParse(c.issuer) ? passkeyHostProblem(c.issuer) : null;
    if (passkeyProblem) ctx.addIssue({ code: 'custom', path: ['issuer'], message: passkeyProblem });
    const unique = (values: string[], path: (i: number) => (string | number)[], what: string) => {
      const seen = new Set<string>();
      values.forEach((v, i) => {
        if (seen.has(v))
          ctx.addIssue({ code: 'custom', path: path(i), message: `${what} "${v}" is used twice` });
        seen.add(v);
      });
    };
    unique(
      c.users.map((u) => u.id.toLowerCase()),
      (i) => ['users', i, 'id'],
      'user name',
    );
    unique(
      c.users.map((u) => u.email),
      (i) => ['users', i, 'email'],
      'e-mail address',
    );
    unique(
      c.relyingParties.map((r) => r.clientId),
      (i) => ['relyingParties', i, 'clientId'],
      'client_id',
    );
    unique(
      c.claimsProviders.map((p) => p.id),
      (i) => ['claimsProviders', i, 'id'],
      'id',
    );
    const domains = c.claimsProviders.flatMap((p, i) => p.emailDomains.map((d, j) => ({ d, i, j })));
    unique(
      domains.map((x) => x.d),
      (k) => ['claimsProviders', domains[k]?.i ?? 0, 'emailDomains', domains[k]?.j ?? 0],
      'e-mail domain',
    );
    c.claimsProviders.forEach((p, i) => {
      if (p.federatedIdpMfaBehavior === 'enforceMfaByFederatedIdp' && p.mfaAcr === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['claimsProviders', i, 'mfaAcr'],
          message: 'is required with enforceMfaByFederatedIdp: it is sent upstream as acr_values',
        });
      if (p.accountMapping === 'linkByEmail' && p.emailDomains.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['claimsProviders', i, 'emailDomains'],
          message: 'must name the domains whose addresses linkByEmail may link',
        });
      if (URL.canParse(p.issuer) && new URL(p.issuer).protocol === 'http:' && !p.allowInsecureHttp)
        ctx.addIssue({
          code: 'custom',
          path: ['claimsProviders', i, 'issuer'],
          message:
            'is http://, which openid-client refuses: use https://, or allowInsecureHttp: true (local demo only)',
        });
    });
    for (const { index, message } of scryptParameterIssues(c.users))
      ctx.addIssue({ code: 'custom', path: ['users', index, 'passwordHash'], message });
    // A local user in a domain a claims provider owns signs in there (home-realm discovery): that
    // only makes sense when the provider links its sign-ins to local accounts by e-mail.
    // A domain used twice is reported above; its owner here is the first provider naming it.
    const ownerOf = new Map(domains.toReversed().map((x) => [x.d, c.claimsProviders[x.i]]));
    c.users.forEach((u, i) => {
      const at = u.email.split('@')[1] ?? '';
      const owner = ownerOf.get(at);
      if (owner && owner.accountMapping !== 'linkByEmail')
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'email'],
          message: `is in ${at}, which claims provider ${owner.id} owns without accountMapping: linkByEmail (home-realm discovery would send this user there)`,
        });
    });
  });

type RawConfig = z.output<typeof federationConfigSchema>;
export type UserConfig = z.output<typeof userSchema>;
export type RelyingPartyConfig = z.output<typeof relyingPartySchema>;
export type ClaimsProviderConfig = z.output<typeof claimsProviderSchema>;

/** The validated config; `policies` is loaded and checked as well. */
export interface FederationConfig extends Omit<RawConfig, 'policies'> {
  policies?: PolicyDocument;
}

export class FederationConfigError extends Error {
  readonly issues: string[];
  constructor(source: string, issues: string[]) {
    super(`invalid federation config (${source}):\n  ${issues.join('\n  ')}`);
    this.name = 'FederationConfigError';
    this.issues = issues;
  }
}

/**
 * Validates a parsed config object. `baseDir` resolves a relative policy file; `source`
 * names the file in errors.
 */
export async function parseFederationConfig(
  input: unknown,
  env: NodeJS.ProcessEnv = process.env,
  options: { baseDir?: string; source?: string } = {},
): Promise<FederationConfig> {
  const source = options.source ?? 'config';
  const substitution: SubstitutionIssue[] = [];
  const substituted = substituteEnv(input, env, substitution);
  const parsed = federationConfigSchema.safeParse(substituted);
  const issues = substitution.map((i) => `${formatPath(i.path)}: ${i.message}`);
  if (!parsed.success) {
    const substituted = new Set(substitution.map((i) => formatPath(i.path)));
    for (const i of parsed.error.issues) {
      const path = formatPath(i.path);
      if (!substituted.has(path)) issues.push(`${path}: ${i.message}`);
    }
  }
  if (issues.length > 0 || !parsed.success) throw new FederationConfigError(source, issues);
  const { policies: rawPolicies, ...rest } = parsed.data;
  let policies: PolicyDocument | undefined;
  try {
    if (typeof rawPolicies === 'string') {
      const file = isAbsolute(rawPolicies) ? rawPolicies : resolve(options.baseDir ?? '.', rawPolicies);
      policies = await loadPolicyFile(file);
    } else if (rawPolicies !== undefined) {
      policies = parsePolicyDocument(rawPolicies);
    }
  } catch (err) {
    if (err instanceof PolicyLoadError)
      throw new FederationConfigError(
        source,
        err.issues.map(
          (i) => `policies${i.path === '(root)' || i.path === '(file)' ? '' : `.${i.path}`}: ${i.message}`,
        ),
      );
    throw new FederationConfigError(source, [`policies: ${(err as Error).message}`]);
  }
  const appIssues = applicationNameIssues(rest.relyingParties, policies);
  if (appIssues.length > 0) throw new FederationConfigError(source, appIssues);
  return { ...rest, ...(policies ? { policies } : {}) };
}

/** Reads a .yaml/.yml/.json config file, then validates it. */
export async function loadFederationConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FederationConfig> {
  let textContent: string;
  try {
    textContent = await readFile(file, 'utf8');
  } catch (err) {
    throw new FederationConfigError(file, [
      `(file): cannot read it: ${(err as NodeJS.ErrnoException).code ?? err}`,
    ]);
  }
  let value: unknown;
  try {
    value = file.endsWith('.json')
      ? JSON.parse(textContent)
      : parseYaml(textContent, { maxAliasCount: 100, uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    throw new FederationConfigError(file, [
      `(file): not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    ]);
  }
  return parseFederationConfig(value, env, { baseDir: dirname(file), source: file });
}
