// The sample federation server and its partner IdP on ephemeral 127.0.0.1 ports, with a raw
// code-flow relying party (`rp`, and `payroll` whose trust has requiredAcr …:mfa): which users,
// partner users, claims providers and networks is the test's to say. One Browser
// (test/helpers/browser.ts) per person; the federation server's mfakit runs on a test clock for
// TOTP codes while the stores keep real time (oidc-provider's models expire by it). Text messages
// and calls go to the stack's outbox (nothing printed), where the test reads their codes.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { parseFederationConfig } from '../../sample-idp/federation/config.ts';
import type { FederationSecrets } from '../../sample-idp/federation/secrets.ts';
import { createFederationServer, type FederationServer } from '../../sample-idp/federation/server.ts';
import { createPartnerIdp, type PartnerIdp, type PartnerUser } from '../../sample-idp/partner-idp/server.ts';
import {
  type AuditSink,
  type Outbox,
  outboxDelivery,
  type PushOutbox,
  pushOutbox,
  type Stores,
} from '../../src/index.ts';
import { type Browser, formAction, inputValue, type Page } from './browser.ts';
import {
  atRp,
  clientSecretOf,
  codeFlowRequest,
  exchangeCode,
  idTokenClaims,
  RP_BYE,
  RP_REDIRECT,
} from './code-flow-rp.ts';
import { enrolThroughEngine } from './enrol-through-engine.ts';
import { close, listen } from './listen.ts';
import { type TestClock, testClock } from './test-clock.ts';

export { enroll, secretOnPage } from './federation-enroll.ts';
export { atRp, RP_REDIRECT };

/** Local users: alice (MFA enabled) and dana (MFA disabled), both in contoso.test. */
export const LOCAL_USERS = [
  {
    id: 'alice',
    name: 'Alice',
    email: 'alice@contoso.test',
    password: 'alice password',
    mfaState: 'enabled',
  },
  { id: 'dana', name: 'Dana', email: 'dana@contoso.test', password: 'dana password', mfaState: 'disabled' },
];

/** Claims providers, all served by the one partner IdP: `partner` owns partner.test, `other` other.test. */
export const PROVIDER_DOMAINS = { partner: 'partner.test', other: 'other.test' } as const;

/** A claims provider of the stack, served by the partner IdP under the client id `fed-<id>`. */
export interface ClaimsProviderSpec {
  id: string;
  /** The e-mail domain home-realm discovery sends to it. */
  domain: string;
  /** Default acceptIfMfaDoneByFederatedIdp. */
  behavior?: 'acceptIfMfaDoneByFederatedIdp' | 'enforceMfaByFederatedIdp' | 'rejectMfaByFederatedIdp';
  /** The partner's acr for a sign-in with MFA. */
  mfaAcr?: string;
  accountMapping?: 'upstreamAccount' | 'linkByEmail';
}

export interface FederationStack {
  fed: FederationServer;
  fedUrl: string;
  partner: PartnerIdp;
  partnerUrl: string;
  clock: TestClock;
  /** The text messages and calls the federation server sent. */
  outbox: Outbox;
  /** The push notifications it sent. */
  pushes: PushOutbox;
  close(): Promise<void>;
}

export async function startFederationStack(
  options: {
    partnerUsers?: PartnerUser[];
    trustedNetworks?: string[];
    trustedProxies?: string[];
    /** Local users besides LOCAL_USERS; one with the id of a LOCAL_USERS entry replaces it. */
    users?: (Record<string, unknown> & { id: string })[];
    /** The config's conditional-access document. */
    policies?: Record<string, unknown>;
    /** How the `partner` provider maps its accounts (linkByEmail lets local users live in partner.test). */
    partnerAccountMapping?: 'upstreamAccount' | 'linkByEmail';
    /** The claims providers instead of PROVIDER_DOMAINS' (each accepting the partner's MFA). */
    claimsProviders?: ClaimsProviderSpec[];
    /** A relying party's own URL: `rp` also accepts its /callback and /signed-out. */
    rpUrl?: string;
    audit?: AuditSink;
    /**
     * Passkeys on (the sample's default): the issuer is then http://localhost:<port> (browsers
     * refuse WebAuthn on an IP address). Off by default here: the issuer stays on 127.0.0.1.
     */
    passkeys?: boolean;
    /** Text message and phone call (the sample's default: on). */
    phone?: boolean;
    /** The config's `phoneCall` section besides `enabled` (e.g. `{ answer: 'keypad', pin: true }`). */
    phoneCall?: Record<string, unknown>;
    /**
     * No phone delivery given: the server's own development outbox (not printing), with its
     * development phone page outside production; `outbox` is then that one.
     */
    serverOutbox?: boolean;
    /** The development phone's key (default: the server makes one). */
    devPhoneKey?: string;
    /** Push notifications (the sample's default: on). */
    push?: boolean;
    /** A RADIUS front end (`radius` in the config) for clients on 127.0.0.0/8 with this shared secret. */
    radiusSecret?: string;
    /** The config's `appPasswords` section (default: on, with the config's defaults). */
    appPasswords?: Record<string, unknown>;
    /** The stores (default: in memory); the caller closes them. */
    stores?: Stores;
    /** The server's secrets (default: generated for this stack). */
    secrets?: FederationSecrets;
    /** mfakit's clock (default: a test clock at the real time), shared by stacks started one after another. */
    clock?: TestClock;
    /** mfakit's reauthMaxAgeSeconds (default 300; at least 30). */
    reauthMaxAgeSeconds?: number;
  } = {},
): Promise<FederationStack> {
  const fedL = await listen();
  const partnerL = await listen();
  const fedUrl = options.passkeys ? fedL.url.replace('//127.0.0.1:', '//localhost:') : fedL.url;
  const rp = (clientId: string, more: Record<string, unknown>) => ({
    clientId,
    clientSecret: clientSecretOf(clientId),
    redirectUris: [RP_REDIRECT, ...(options.rpUrl ? [`${options.rpUrl}/callback`] : [])],
    postLogoutRedirectUris: [RP_BYE, ...(options.rpUrl ? [`${options.rpUrl}/signed-out`] : [])],
    ...more,
  });
  const replaced = new Set((options.users ?? []).map((u) => u.id));
  const providers: ClaimsProviderSpec[] =
    options.claimsProviders ??
    Object.entries(PROVIDER_DOMAINS).map(([id, domain]) => ({
      id,
      domain,
      ...(id === 'partner' && options.partnerAccountMapping
        ? { accountMapping: options.partnerAccountMapping }
        : {}),
    }));
  const config = await parseFederationConfig(
    {
      issuer: fedUrl,
      passkeys: { enabled: options.passkeys === true },
      textMessage: { enabled: options.phone !== false },
      phoneCall: { enabled: options.phone !== false, ...options.phoneCall },
      pushNotifications: { enabled: options.push !== false },
      ...(options.radiusSecret
        ? {
            radius: {
              port: 0,
              clients: [{ address: '127.0.0.0/8', secret: options.radiusSecret, name: 'vpn' }],
            },
          }
        : {}),
      ...(options.appPasswords ? { appPasswords: options.appPasswords } : {}),
      trustedNetworks: options.trustedNetworks ?? [],
      trustedProxies: options.trustedProxies ?? [],
      users: [...LOCAL_USERS.filter((u) => !replaced.has(u.id)), ...(options.users ?? [])],
      ...(options.policies ? { policies: options.policies } : {}),
      relyingParties: [
        rp('rp', {
          displayName: 'Test RP',
          releaseClaims: ['name', 'email', 'groups'],
          releaseGroups: ['staff'],
        }),
        rp('payroll', { requiredAcr: 'urn:mfakit:acr:mfa', releaseClaims: ['name', 'email'] }),
      ],
      claimsProviders: providers.map((p) => ({
        id: p.id,
        displayName: `Partner ${p.id}`,
        issuer: partnerL.url,
        clientId: `fed-${p.id}`,
        clientSecret: clientSecretOf(`fed-${p.id}`),
        emailDomains: [p.domain],
        federatedIdpMfaBehavior: p.behavior ?? 'acceptIfMfaDoneByFederatedIdp',
        allowInsecureHttp: true,
        ...(p.mfaAcr ? { mfaAcr: p.mfaAcr } : {}),
        ...(p.accountMapping ? { accountMapping: p.accountMapping } : {}),
      })),
    },
    {},
  );
  const clock = options.clock ?? testClock(Date.now());
  const given = options.serverOutbox ? null : outboxDelivery({ print: false });
  const pushes = pushOutbox({ print: false });
  const fed = await createFederationServer(config, {
    ...(given ? { phoneDelivery: given } : { printOutbox: false }),
    ...(options.devPhoneKey !== undefined ? { devPhoneKey: options.devPhoneKey } : {}),
    pushDelivery: pushes,
    stores: options.stores ?? createMemoryStores(),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    audit: options.audit ?? (() => {}),
    clock,
    ...(options.reauthMaxAgeSeconds !== undefined
      ? { reauthMaxAgeSeconds: options.reauthMaxAgeSeconds }
      : {}),
  }).catch(async (err: unknown) => {
    // A server that refuses to start (e.g. a weak key) leaves no listener behind.
    await Promise.all([close(fedL), close(partnerL)]);
    throw err;
  });
  const outbox = given ?? fed.outbox;
  assert.ok(outbox, 'the server keeps its own outbox when given no delivery');
  fedL.handle(fed.app);
  const partner = createPartnerIdp({
    issuer: partnerL.url,
    users: options.partnerUsers ?? [],
    clients: providers.map(({ id }) => ({
      clientId: `fed-${id}`,
      clientSecret: clientSecretOf(`fed-${id}`),
      redirectUris: [`${fedUrl}/federation/${id}/callback`],
    })),
  });
  partnerL.handle(partner.app);
  return {
    fed,
    fedUrl,
    partner,
    partnerUrl: partnerL.url,
    clock,
    outbox,
    pushes,
    close: async () => {
      await Promise.all([close(fedL), close(partnerL)]);
      await fed.close();
    },
  };
}

export interface AuthRequest {
  clientId?: string;
  acrValues?: string;
  /** The `claims` parameter (JSON), e.g. to ask for email in the ID token itself. */
  claims?: string;
  /** Default 'openid profile email'. */
  scope?: string;
}

/** Where a federation server answers (a stack's, or several processes' behind one address). */
export type FederationAddress = Pick<FederationStack, 'fedUrl'>;

export function authorizationRequest(s: FederationAddress, p: AuthRequest = {}) {
  return codeFlowRequest(s.fedUrl, p.clientId ?? 'rp', p.scope ?? 'openid profile email', {
    ...(p.acrValues ? { acr_values: p.acrValues } : {}),
    ...(p.claims ? { claims: p.claims } : {}),
  });
}
export type AuthorizationRequest = ReturnType<typeof authorizationRequest>;

export interface RpClaims {
  sub: string;
  amr?: string[];
  acr?: string;
  auth_time?: number;
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

/** The RP's code exchange: the ID token and its claims, and what userinfo answers for the access token. */
export async function redeem(s: FederationAddress, page: Page, request: AuthorizationRequest) {
  const code = new URL(page.url).searchParams.get('code');
  assert.ok(code, `expected a code at the RP, got ${page.url} (${page.status})\n${page.text.slice(0, 500)}`);
  const res = await exchangeCode(s.fedUrl, code, request);
  const body = (await res.json()) as { id_token?: string; access_token?: string };
  assert.ok(body.id_token && body.access_token, JSON.stringify(body));
  const claims = idTokenClaims<RpClaims>(body.id_token);
  const me = await fetch(new URL('/me', s.fedUrl), {
    headers: { authorization: `Bearer ${body.access_token}` },
  });
  assert.equal(me.status, 200);
  return { idToken: body.id_token, claims, userinfo: (await me.json()) as RpClaims };
}

export const uidOf = (page: Page) => {
  const m = /\/interaction\/([A-Za-z0-9_-]+)/.exec(page.url);
  assert.ok(m?.[1], `not an interaction page: ${page.url}`);
  return m[1];
};

/**
 * RP → the federation's sign-in page → identifier → password (or, with `kind`, a Temporary
 * Access Pass); where the form leads.
 */
export async function signInWithPassword(
  b: Browser,
  s: FederationAddress,
  identifier: string,
  password: string,
  p: AuthRequest = {},
  kind: 'password' | 'temporaryAccessPass' = 'password',
) {
  const request = authorizationRequest(s, p);
  const first = await b.go(request.url, { stopAt: atRp });
  assert.equal(first.status, 200, `${first.url}\n${first.text.slice(0, 300)}`);
  const uid = uidOf(first);
  const pwPage = await b.go(`${s.fedUrl}/interaction/${uid}/identify`, {
    form: { identifier, kind, _csrf: inputValue(first.text, '_csrf') },
    stopAt: atRp,
  });
  assert.match(pwPage.text, /name="password"/);
  const page = await b.go(`${s.fedUrl}/interaction/${uid}/login`, {
    form: { identifier, password, kind, _csrf: inputValue(pwPage.text, '_csrf') },
    stopAt: atRp,
  });
  return { request, uid, page, pwPage };
}

/** Submits mfakit's code prompt on `page` (ticking "don't ask again" with `remember`). */
export function submitCode(b: Browser, s: FederationAddress, page: Page, code: string, remember = false) {
  return b.go(new URL(formAction(page.text, '/mfa/prompt'), s.fedUrl).href, {
    form: { _csrf: inputValue(page.text, '_csrf'), code, ...(remember ? { remember: '1' } : {}) },
    stopAt: atRp,
  });
}

/** Registers an authenticator app for a local user through the engine (with the previous period's code); returns its secret. */
export function enrolDirect(s: FederationStack, user: string): Promise<string> {
  return enrolThroughEngine(s.fed.mfa, s.clock, user);
}

/**
 * RP → the federation's sign-in page → `identifier` (an address in a partner's domain: home-realm
 * discovery) → where that leads, the partner's login page.
 */
export async function toPartner(b: Browser, s: FederationStack, identifier: string, p: AuthRequest = {}) {
  const request = authorizationRequest(s, p);
  const first = await b.go(request.url, { stopAt: atRp });
  const uid = uidOf(first);
  const partnerPage = await b.go(`${s.fedUrl}/interaction/${uid}/identify`, {
    form: { identifier, _csrf: inputValue(first.text, '_csrf') },
  });
  return { request, uid, partnerPage };
}

/** On the partner's login page, `user` signs in there (with partner MFA when `mfa`); where that leads. */
export function loginAtPartnerPage(
  b: Browser,
  partnerPage: Page,
  user: { username: string; password: string },
  mfa: boolean,
) {
  return b.go(new URL(`/interaction/${uidOf(partnerPage)}/login`, partnerPage.url).href, {
    form: {
      _csrf: inputValue(partnerPage.text, '_csrf'),
      username: user.username,
      password: user.password,
      ...(mfa ? { mfa: 'yes' } : {}),
    },
    stopAt: atRp,
  });
}

/**
 * RP → the federation's sign-in page → an address in the partner's domain (home-realm
 * discovery) → the partner's login page, where `username` signs in (with partner MFA).
 */
export async function signInAtPartner(
  b: Browser,
  s: FederationStack,
  user: { username: string; password: string; hint?: string },
  p: AuthRequest = {},
) {
  const { request, partnerPage } = await toPartner(
    b,
    s,
    user.hint ?? `someone@${PROVIDER_DOMAINS.partner}`,
    p,
  );
  assert.match(partnerPage.text, /Sign in to Partner Co/, partnerPage.text.slice(0, 300));
  const page = await loginAtPartnerPage(b, partnerPage, user, true);
  return { request, page };
}
