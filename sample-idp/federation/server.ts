import { createHmac } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  type AuditSink,
  type Clock,
  createMfa,
  hotp,
  type Mfa,
  MfaError,
  type Outbox,
  outboxDelivery,
  type PhoneDelivery,
  type PushDelivery,
  pushMethod,
  pushOutbox,
  recoveryCode,
  type Stores,
  smsMethod,
  totp,
  voiceMethod,
  webauthn,
} from 'mfakit';
import { createSqliteStores } from 'mfakit/adapters/sqlite';
import { STYLE_CSS } from 'mfakit/express';
import { createOidcMfa, type OidcMfa } from 'mfakit/oidc';
import { createRadiusServer, type RadiusServer } from 'mfakit/radius';
import type Provider from 'oidc-provider';
import proxyaddr from 'proxy-addr';
import { createAccountPortal } from './account-portal.ts';
import { createAccounts } from './accounts.ts';
import { appPasswordOptions, RADIUS_APP } from './app-password-config.ts';
import type { FederationConfig } from './config.ts';
import { createDevPhone, devPhoneServed, noteProxiedRequests } from './dev-phone.ts';
import { checkDevPhoneKey, DEV_PHONE_PATH, devPhoneLink, newDevPhoneKey } from './dev-phone-key.ts';
import { createLocalDirectory, seedUserStates } from './directory.ts';
import { createFederation } from './federation-routes.ts';
import { createSignInGate } from './first-factor.ts';
import { createFormTokens } from './form-token.ts';
import { globalHeaders, pageCsp, pageHeaders } from './http-headers.ts';
import { createLegacyApi } from './legacy-api.ts';
import { createLoginRouter } from './login-routes.ts';
import { messagePage, STYLE_PATH } from './pages.ts';
import { voiceOptions } from './phone-call-config.ts';
import { applicationOf, buildPolicyDocument, type PolicySeeding, seedStoredPolicies } from './policies.ts';
import { createProvider } from './provider.ts';
import { type FederationSecrets, generateSecrets } from './secrets.ts';

/**
 * The AD FS-style federation server: an OpenID provider (oidc-provider) for the relying-party
 * trusts, a local directory with password sign-in, claims-provider trusts to upstream IdPs
 * with home-realm discovery, mfakit for the second factor and conditional access, and the
 * security-info portal at /account. Returns the Express app; the caller listens.
 *
 *   const config = await loadFederationConfig('sample-idp/federation.example.yaml');
 *   const server = await createFederationServer(config, { secrets: loadOrCreateSecrets(config.dataFile) });
 *   server.app.listen(3000);
 */
/** WebAuthn on the issuer's host: its host name is the relying-party id, its origin the one origin. */
function passkeysOn(config: FederationConfig) {
  const issuer = new URL(config.issuer);
  return webauthn({
    rpID: issuer.hostname,
    rpName: config.displayName,
    origins: [issuer.origin],
    userVerification: config.passkeys.userVerification,
  });
}

export interface FederationServerDeps {
  /** Default: SQLite at config.dataFile. */
  stores?: Stores;
  /** Default: generated for this process (sessions and seeds do not survive a restart). */
  secrets?: FederationSecrets;
  audit?: AuditSink;
  clock?: Clock;
  /** mfakit's reauthMaxAgeSeconds (default 300): how recent a first factor must be to register a first method. */
  reauthMaxAgeSeconds?: number;
  /**
   * Who delivers text messages and phone calls. Default: mfakit's development outbox, which
   * sends nothing and prints each message (the number and the code) on this process's console:
   * the sample is a demo, and says so at start; a deployment passes its SMS/voice provider.
   * Keypad calls kept there are answered on the development phone page (/dev/phone, outside
   * production only), opened by the link with its key (`devPhoneUrl`).
   */
  phoneDelivery?: PhoneDelivery;
  /** Whether the development outbox prints each message and call on the console (default true). */
  printOutbox?: boolean;
  /**
   * The development phone's key (base64url, at least 128 bits). Default: a random one made here.
   * Processes that serve one address together (several workers) are given the same one.
   */
  devPhoneKey?: string;
  /**
   * Who delivers push notifications (APNs, FCM). Default: mfakit's development outbox, which
   * prints a line per notification (the service and the transaction, never the number); the
   * sample's phone app finds its requests by asking the device API either way.
   */
  pushDelivery?: PushDelivery;
  /**
   * `config` (default): the config's policies, in this process's memory. `store`: the document
   * saved in the stores, seeded from the config (see policies.ts), so that every process sharing
   * the stores decides alike and a change saved by one applies to all.
   */
  policies?: 'config' | 'store';
}

export interface FederationServer {
  app: express.Express;
  provider: Provider;
  mfa: Mfa;
  oidc: OidcMfa;
  /** The development outbox, when no phoneDelivery was given: the messages and calls "sent". */
  outbox: Outbox | null;
  /**
   * The link that opens the development phone, `<issuer>/dev/phone?key=<key>`, when it is served
   * (the outbox, outside production); null otherwise. Whoever holds it can answer sign-in calls.
   */
  devPhoneUrl: string | null;
  /** The RADIUS front end when the config has `radius` (not listening yet: `radius.listen(port, host)`). */
  radius: RadiusServer | null;
  /** With `policies: 'store'`: what start-up did with the saved policy document. */
  policySeeding: PolicySeeding | null;
  close(): Promise<void>;
}

export async function createFederationServer(
  config: FederationConfig,
  deps: FederationServerDeps = {},
): Promise<FederationServer> {
  const secrets = deps.secrets ?? generateSecrets();
  const stores = deps.stores ?? createSqliteStores({ path: config.dataFile });
  const oidcStore = stores.oidc;
  if (!oidcStore) throw new Error('the federation server needs stores with an OIDC store');
  const secure = new URL(config.issuer).protocol === 'https:';
  const cookieKey = secrets.cookieKeys[0] ?? '';
  const directory = await createLocalDirectory(config.users);
  const accounts = createAccounts(directory, oidcStore, config.claimsProviders);
  const devPhoneKey = !devPhoneServed(deps.phoneDelivery !== undefined)
    ? null
    : deps.devPhoneKey === undefined
      ? newDevPhoneKey()
      : checkDevPhoneKey(deps.devPhoneKey);
  const devPhoneUrl = devPhoneKey === null ? null : devPhoneLink(config.issuer, devPhoneKey);
  const outbox = deps.phoneDelivery ? null : devOutbox(devPhoneUrl, deps.printOutbox !== false);
  const mfa = createMfa({
    stores,
    issuer: config.displayName,
    sealingKeys: secrets.sealingKeys,
    directory: { subject: async (userId) => ({ groups: await accounts.groups(userId) }) },
    defaultUserState: config.defaultUserState,
    policies: deps.policies === 'store' ? 'store' : buildPolicyDocument(config),
    trustedNetworks: config.trustedNetworks,
    trustedProxies: config.trustedProxies,
    appPasswords: appPasswordOptions(config.appPasswords, config.radius !== undefined),
    methods: [
      totp,
      hotp,
      recoveryCode,
      ...(config.passkeys.enabled ? [passkeysOn(config)] : []),
      ...(config.textMessage.enabled ? [smsMethod()] : []),
      ...(config.phoneCall.enabled ? [voiceMethod(voiceOptions(config.phoneCall))] : []),
      // The device API is mounted with the MFA step (oidc.mount below), at <issuer>/interaction/device.
      ...(config.pushNotifications.enabled
        ? [
            pushMethod({
              endpoint: `${config.issuer}/interaction/device`,
              delivery: deps.pushDelivery ?? pushOutbox(),
            }),
          ]
        : []),
    ],
    // No SMS or voice provider in the sample: the outbox prints each message on the console
    // (`mfakit outbox (sms to +44…): 123456 is your … code`), where the person trying it reads it.
    // Given on purpose, so mfakit neither warns of its default nor refuses it in production.
    phone: { delivery: deps.phoneDelivery ?? outbox ?? outboxDelivery() },
    rememberDevice: {
      enabled: true,
      days: config.rememberDeviceDays,
      maxDays: Math.max(config.rememberDeviceDays, 60),
      cookieName: 'mfakit_rd',
      secureCookie: secure,
    },
    ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.reauthMaxAgeSeconds !== undefined ? { reauthMaxAgeSeconds: deps.reauthMaxAgeSeconds } : {}),
  });
  // Listening for the other processes' revocations and policy changes before anything is served.
  await mfa.ready();
  const policySeeding = deps.policies === 'store' ? await seedStoredPolicies(mfa, config) : null;
  await seedUserStates(mfa, directory);
  const oidc = createOidcMfa(mfa, {
    stores,
    basePath: '/interaction',
    appOf: (clientId) => applicationOf(config, clientId),
    requiredAcrOf: (clientId) => config.relyingParties.find((rp) => rp.clientId === clientId)?.requiredAcr,
    displayName: async (id) => (await accounts.profile(id))?.name ?? id,
    // Only local accounts sign in with a passkey alone: a claims provider's accounts sign in there.
    passkeySignIn: (id) => directory.get(id) !== null,
  });
  const provider = createProvider({ config, secrets, stores, oidc, accounts });
  const federation = createFederation({
    issuer: config.issuer,
    service: config.displayName,
    secureCookies: secure,
    providers: config.claimsProviders,
    provider,
    oidc,
    accounts,
    ephemeral: stores.ephemeral,
    clock: mfa.clock,
  });
  const gate = createSignInGate(mfa, directory, (email) => federation.providerForEmail(email)?.id ?? null);
  const formTargets = [
    ...config.relyingParties.flatMap((rp) => [...rp.redirectUris, ...rp.postLogoutRedirectUris]),
    ...config.claimsProviders.map((p) => p.issuer),
  ];

  const formTokens = createFormTokens(cookieKey);
  const app = express();
  app.disable('x-powered-by');
  if (config.trustedProxies.length > 0) app.set('trust proxy', config.trustedProxies);
  app.use(globalHeaders(secure));
  // oidc-provider (Koa) trusts X-Forwarded-Host/-Proto from anyone once `proxy` is on: only a
  // configured proxy may send them, else discovery could advertise an attacker's host. First of
  // all, since the login and MFA routes reach the provider too.
  const fromTrustedProxy = proxyaddr.compile(config.trustedProxies);
  // The development phone must see what a proxy added before it is stripped (dev-phone.ts).
  if (outbox && devPhoneKey) app.use(DEV_PHONE_PATH, noteProxiedRequests);
  app.use((req, _res, next) => {
    if (!fromTrustedProxy(req.socket.remoteAddress ?? '', 0))
      for (const h of ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-for', 'x-forwarded-port'])
        delete req.headers[h];
    next();
  });
  app.get(STYLE_PATH, (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(STYLE_CSS);
  });
  app.get('/', pageHeaders(pageCsp([])), (_req, res) => {
    res.send(
      messagePage(
        config.displayName,
        config.displayName,
        'This is the sign-in service. Manage your sign-in methods under Security info.',
        {
          href: '/account',
          label: 'Security info',
        },
      ),
    );
  });
  // HTTP Basic for scripts and older apps (app passwords): outside the interaction and portal
  // sessions, before the provider's catch-all.
  app.use('/legacy', createLegacyApi({ mfa, gate, accounts }));
  const interactionCsp = pageCsp(formTargets);
  app.use(['/interaction', '/federation'], pageHeaders(interactionCsp));
  app.use(
    createLoginRouter({
      config,
      provider,
      oidc,
      gate,
      federation,
      tokens: formTokens,
    }),
  );
  app.use(federation.router);
  oidc.mount(app);
  if (outbox && devPhoneKey)
    app.use(
      DEV_PHONE_PATH,
      createDevPhone({
        mfa,
        outbox,
        service: config.displayName,
        issuer: config.issuer,
        tokens: formTokens,
        secureCookies: secure,
        key: devPhoneKey,
      }),
    );
  app.use(
    '/account',
    createAccountPortal({
      mfa,
      directory,
      gate,
      realmName: federation.displayName,
      service: config.displayName,
      sessionSecret: createHmac('sha256', cookieKey).update('account portal session').digest('base64url'),
      secureCookies: secure,
      ephemeral: stores.ephemeral,
    }),
  );
  app.use(provider.callback());
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // mfakit's errors carry their status and a message for the user; body-parser's (too large,
    // malformed) and csrf-sync's a 4xx status; anything else is ours: 500, logged.
    const given = (err as { status?: unknown }).status;
    const status =
      err instanceof MfaError
        ? err.status
        : (err as { code?: unknown }).code === 'EBADCSRFTOKEN'
          ? 403
          : typeof given === 'number' && given >= 400 && given < 500
            ? given
            : 500;
    const message =
      err instanceof MfaError
        ? err.message
        : status === 403
          ? 'This form has expired. Go back, reload the page and try again.'
          : status < 500
            ? 'The request could not be understood. Go back and try again.'
            : 'Sign-in is unavailable right now. Try again in a moment.';
    if (status >= 500)
      process.emitWarning(`federation: ${req.method} ${req.path}: ${String((err as Error).stack ?? err)}`);
    res
      .status(status)
      .set('Content-Security-Policy', pageCsp([]))
      .send(messagePage(config.displayName, 'Sign-in problem', message));
  });

  // VPNs sign in over RADIUS through the same first-factor gate and engine (app `radius`).
  const radius = config.radius
    ? createRadiusServer({
        mfa,
        gate,
        ephemeral: stores.ephemeral,
        clients: config.radius.clients,
        app: RADIUS_APP,
      })
    : null;
  return {
    app,
    provider,
    mfa,
    oidc,
    outbox,
    devPhoneUrl,
    radius,
    policySeeding,
    close: async () => {
      await radius?.close();
      if (!deps.stores) await stores.close?.();
    },
  };
}

/**
 * mfakit's development outbox; with the development phone served, each keypad call's console
 * line is followed by the link (with its key) to answer it at.
 */
function devOutbox(devPhoneUrl: string | null, print: boolean): Outbox {
  const outbox = outboxDelivery({ print });
  if (!print || devPhoneUrl === null) return outbox;
  return {
    ...outbox,
    async call(call) {
      await outbox.call(call);
      console.log(`mfakit outbox: answer that call on the development phone, ${devPhoneUrl}`);
    },
  };
}
