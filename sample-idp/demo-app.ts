import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { csrfSync } from 'csrf-sync';
import express from 'express';
import session from 'express-session';
import {
  type AuditSink,
  createMfa,
  hotp,
  MfaError,
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
import { answerFirstFactorFailure, createMfaExpress } from 'mfakit/express';
import { loadPolicyFile } from 'mfakit/policy';
import { type DemoConfig, loadDemoConfig } from './config.ts';
import { homePage, loginPage } from './demo-pages.ts';
import { createDemoDirectory, DEMO_ACCOUNTS } from './directory.ts';

/**
 * The demo: an Express app with a password sign-in (first factor) and mfakit for the
 * second, on the embedded SQLite store. `npm start` runs it.
 */
export async function createDemoApp(
  config: DemoConfig,
  deps: { stores?: Stores; sealingKey?: Buffer; audit?: AuditSink } = {},
) {
  const stores = deps.stores ?? createSqliteStores({ path: config.MFAKIT_DATA_FILE });
  const directory = await createDemoDirectory();
  const policies =
    config.MFAKIT_POLICIES === undefined
      ? undefined
      : config.MFAKIT_POLICIES === 'store'
        ? 'store'
        : await loadPolicyFile(config.MFAKIT_POLICIES);
  // Passkeys need the origin the browser sees: localhost (or your domain), never an IP address.
  const origin =
    config.MFAKIT_PUBLIC_ORIGIN ?? (config.PORT === 0 ? undefined : `http://localhost:${config.PORT}`);
  const passkeys = origin
    ? [webauthn({ rpID: new URL(origin).hostname, rpName: 'mfakit demo', origins: [new URL(origin).origin] })]
    : [];
  // Push notifications need the absolute URL a phone app reaches the device API at (the router's
  // /mfa/device); the sample's terminal phone app (npm run phone-app) is the phone.
  const push = origin
    ? [pushMethod({ endpoint: `${new URL(origin).origin}/mfa/device`, delivery: pushOutbox() })]
    : [];
  const mfa = createMfa({
    stores,
    // Text message and phone call too: with no SMS/voice provider configured, mfakit's default
    // outbox prints each message (the code) on this console, so the demo works offline; push
    // notifications are printed there too.
    methods: [totp, hotp, recoveryCode, ...passkeys, smsMethod(), voiceMethod(), ...push],
    ...(policies ? { policies } : {}),
    defaultApp: 'demo',
    issuer: 'mfakit demo',
    ...(deps.audit ? { audit: deps.audit } : {}),
    sealingKeys: [{ id: 'demo1', key: deps.sealingKey ?? sealingKeyFor(config) }],
    trustedNetworks: config.MFAKIT_TRUSTED_NETWORKS,
    trustedProxies: config.MFAKIT_TRUSTED_PROXIES,
    rememberDevice: {
      enabled: true,
      days: config.MFAKIT_REMEMBER_DAYS,
      maxDays: config.MFAKIT_REMEMBER_MAX_DAYS,
      cookieName: 'mfakit_rd',
      secureCookie: config.MFAKIT_SECURE_COOKIES,
    },
    lockout: {
      maxAttempts: config.MFAKIT_LOCKOUT_MAX_ATTEMPTS,
      lockSeconds: config.MFAKIT_LOCKOUT_SECONDS,
      maxAttemptsPerIp: 50,
      backoffAfter: 3,
      backoffBaseMs: 1000,
      hardLimit: config.MFAKIT_LOCKOUT_HARD_LIMIT,
    },
  });
  // Every password goes through mfakit's first-factor gate (throttle, audit, one answer for all).
  const gate = mfa.firstFactorGate({
    resolve: (identifier) => (directory.get(identifier) ? { id: identifier } : null),
    verifyPassword: (id, password) => directory.verifyPassword(id, password),
  });
  const web = createMfaExpress(mfa, {
    basePath: '/mfa',
    loginPath: '/login',
    defaultReturnTo: '/',
    displayName: (id) => directory.get(id)?.name ?? id,
    // Only accounts still in the directory sign in with a passkey alone.
    passkeySignIn: (id) => directory.get(id) !== null,
  });

  const app = express();
  app.disable('x-powered-by');
  if (config.MFAKIT_TRUSTED_PROXIES.length > 0) app.set('trust proxy', config.MFAKIT_TRUSTED_PROXIES);
  app.use(
    session({
      secret: config.SESSION_SECRET ?? randomBytes(32).toString('hex'),
      name: 'demo_sid',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.MFAKIT_SECURE_COOKIES, maxAge: 8 * 3600_000 },
    }),
  );
  const { generateToken, csrfSynchronisedProtection } = csrfSync({
    getTokenFromRequest: (req) => (req.body as { _csrf?: string } | undefined)?._csrf,
  });
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  const accounts = DEMO_ACCOUNTS.map((a) => ({ id: a.id, password: a.password }));

  app.get('/login', (req, res) => {
    const returnTo = typeof req.query.returnTo === 'string' ? req.query.returnTo : '/';
    res.send(loginPage({ csrfToken: generateToken(req), returnTo, accounts, passkeys: passkeys.length > 0 }));
  });
  app.post('/login', form, csrfSynchronisedProtection, async (req, res, next) => {
    try {
      const { username, password, returnTo } = req.body as Record<string, string | undefined>;
      if (typeof username !== 'string' || typeof password !== 'string')
        throw new MfaError('invalid_request', 'Enter your user name and password.', 400);
      const result = await gate.signIn({
        identifier: username,
        secret: password,
        kind: 'password',
        ...web.ctxOf(req),
      });
      if (!result.ok) {
        const error = answerFirstFactorFailure(res, result, 'password');
        return res.send(
          loginPage({
            csrfToken: generateToken(req),
            returnTo: returnTo ?? '/',
            accounts,
            error,
            passkeys: passkeys.length > 0,
          }),
        );
      }
      await web.beginSignIn(req, res, {
        userId: result.accountId,
        amr: result.amr,
        ...(returnTo ? { returnTo } : {}),
      });
    } catch (err) {
      next(err);
    }
  });
  app.post('/logout', form, csrfSynchronisedProtection, async (req, res) => {
    await web.logout(req);
    res.redirect(303, '/login');
  });
  app.use('/mfa', web.router());
  app.get('/', web.requireMfa(), (req, res) => {
    const stamp = req.mfa;
    if (!stamp) return res.redirect(303, '/login');
    res.send(
      homePage({
        csrfToken: generateToken(req),
        name: directory.get(stamp.userId)?.name ?? stamp.userId,
        amr: stamp.amr,
        acr: stamp.acr,
        authTime: stamp.authTime,
        skippedBy: stamp.skippedBy,
      }),
    );
  });
  app.use(
    (
      err: { code?: string; status?: number },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      if (err.code === 'EBADCSRFTOKEN' || err.status === 403)
        return res.status(403).send('This form has expired. Go back, reload the page and try again.');
      if (typeof err.status === 'number' && err.status < 500)
        return res.status(err.status).send('Bad request.');
      process.emitWarning(String((err as Error).stack ?? err));
      res.status(503).send('Sign-in is unavailable right now.');
    },
  );
  return { app, mfa, web, stores };
}

/** The demo keeps a generated sealing key beside its data file unless one is given. */
function sealingKeyFor(config: DemoConfig): Buffer {
  if (config.MFAKIT_SEALING_KEY) return Buffer.from(config.MFAKIT_SEALING_KEY, 'base64');
  const keyFile = join(dirname(config.MFAKIT_DATA_FILE), 'sealing-key.b64');
  mkdirSync(dirname(keyFile), { recursive: true });
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  return Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
}

if (import.meta.main) {
  try {
    const config = loadDemoConfig(process.env);
    mkdirSync(dirname(config.MFAKIT_DATA_FILE), { recursive: true });
    const { app } = await createDemoApp(config);
    const server = app.listen(config.PORT, config.HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.PORT;
      console.log(`\nmfakit demo running at ${config.MFAKIT_PUBLIC_ORIGIN ?? `http://localhost:${port}`}/`);
      console.log(`data file: ${config.MFAKIT_DATA_FILE}`);
      console.log(`conditional-access policies: ${config.MFAKIT_POLICIES ?? '(none)'}`);
      console.log('demo accounts:');
      for (const a of DEMO_ACCOUNTS) console.log(`  ${a.id} / ${a.password}`);
      console.log(
        `trusted networks: ${config.MFAKIT_TRUSTED_NETWORKS.join(', ') || '(none)'}; trusted proxies: ${config.MFAKIT_TRUSTED_PROXIES.join(', ') || '(none)'}`,
      );
      console.log(
        `remember device: ${config.MFAKIT_REMEMBER_DAYS} days; lockout after ${config.MFAKIT_LOCKOUT_MAX_ATTEMPTS} failures for ${config.MFAKIT_LOCKOUT_SECONDS} s\n`,
      );
    });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
