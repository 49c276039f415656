import { csrfSync } from 'csrf-sync';
import express from 'express';
import session from 'express-session';
import { acrAtLeast } from './acr.ts';
import { type DemoRpConfig, demoRpConfigFromEnv, parseDemoRpConfig } from './config.ts';
import { createOidc, describeCallbackError } from './oidc.ts';
import {
  errorPage,
  homePage,
  paymentsPage,
  RP_STYLE_CSS,
  STYLE_PATH,
  sensitivePage,
  signedOutPage,
  stepUpRefusedPage,
} from './pages.ts';
import { destroy, regenerate, rpSession, save } from './session.ts';

export type { DemoRpConfig } from './config.ts';

const SESSION_COOKIE = 'demo_rp_sid';
/** A sign-in left at the OP for longer than this is not finished. */
const PENDING_TTL_MS = 10 * 60_000;
const PROMPTS = new Set(['login', 'none', 'consent', 'select_account']);

/**
 * The demo "SaaS app": an OpenID Connect relying party that signs in at an OP (the sample
 * IdP) with the authorization code flow, PKCE, state and nonce, shows the ID token's
 * sub/name/email/amr/acr/auth_time, and asks for a stronger sign-in (acr_values) before its
 * "sensitive action" page (…:mfa by default) and its "approve payments" page (…:phr, a passkey
 * or security key), checking the acr that comes back itself.
 *
 *   const { app } = await createDemoRp({
 *     issuer: 'http://localhost:3001', clientId: 'demo-rp', clientSecret: '...',
 *     redirectUri: 'http://localhost:3002/callback',
 *     postLogoutRedirectUri: 'http://localhost:3002/signed-out',
 *     baseUrl: 'http://localhost:3002', sessionSecret: '32+ random chars',
 *     allowInsecureHttp: true, // the OP is http:// on localhost
 *   });
 *   app.listen(3002);
 *
 * The config is validated (an Error lists each bad field). The OP is discovered when the
 * app is created; if it cannot be reached yet (e.g. it starts later in the same process),
 * a warning is emitted and discovery is retried on the next sign-in, so the start order
 * does not matter. Sessions are in express-session's memory store (a demo).
 */
export async function createDemoRp(config: DemoRpConfig): Promise<{ app: express.Express }> {
  const cfg = parseDemoRpConfig(config);
  const oidc = createOidc(cfg);
  await oidc.configuration().catch((err: unknown) => {
    process.emitWarning(
      `demo RP: OP discovery at ${cfg.issuer} failed, retrying on first sign-in: ${String(err)}`,
    );
  });

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy':
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      // The callback URL carries the code: never in a Referer.
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    next();
  });
  app.use(
    session({
      secret: cfg.sessionSecret,
      name: SESSION_COOKIE,
      resave: false,
      saveUninitialized: false,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: new URL(cfg.baseUrl).protocol === 'https:',
        maxAge: 8 * 3600_000,
      },
    }),
  );
  const { generateToken, csrfSynchronisedProtection } = csrfSync({
    getTokenFromRequest: (req) => {
      const token = (req.body as { _csrf?: unknown } | undefined)?._csrf;
      return typeof token === 'string' ? token : undefined;
    },
  });
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 });

  /** Sends the browser to the OP, remembering what the callback must check. */
  async function redirectToOp(
    req: express.Request,
    res: express.Response,
    request: Parameters<typeof oidc.start>[0],
  ) {
    let started: Awaited<ReturnType<typeof oidc.start>>;
    try {
      started = await oidc.start(request);
    } catch (err) {
      process.emitWarning(`demo RP: cannot start a sign-in: ${String(err)}`);
      return res.status(503).send(
        errorPage({
          title: 'Sign-in service unavailable',
          message: 'The sign-in service cannot be reached right now. Try again in a moment.',
        }),
      );
    }
    rpSession(req).pending = started.pending;
    await save(req);
    res.redirect(303, started.url.href);
  }

  app.get(STYLE_PATH, (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(RP_STYLE_CSS);
  });

  app.get('/', (req, res) => {
    const user = req.session.demoRp?.user;
    res.send(
      homePage({
        acrForSensitive: cfg.acrForSensitive,
        acrForPayments: cfg.acrForPayments,
        ...(user ? { claims: user.claims, csrfToken: generateToken(req) } : {}),
      }),
    );
  });

  app.get('/login', async (req, res) => {
    const { prompt, max_age } = req.query;
    if (prompt !== undefined && (typeof prompt !== 'string' || !PROMPTS.has(prompt))) {
      return res.status(400).send(
        errorPage({
          title: 'Bad request',
          message: 'prompt must be login, none, consent or select_account.',
        }),
      );
    }
    if (max_age !== undefined && (typeof max_age !== 'string' || !/^\d{1,9}$/.test(max_age))) {
      return res
        .status(400)
        .send(errorPage({ title: 'Bad request', message: 'max_age must be a whole number of seconds.' }));
    }
    await redirectToOp(req, res, {
      returnTo: '/',
      ...(prompt !== undefined ? { prompt } : {}),
      ...(max_age !== undefined ? { maxAge: Number(max_age) } : {}),
    });
  });

  app.get('/callback', async (req, res) => {
    const state = rpSession(req);
    const pending = state.pending;
    // One callback per sign-in: whatever happens next, this one is used up.
    delete state.pending;
    if (!pending) {
      return res.status(400).send(
        errorPage({
          title: 'No sign-in in progress',
          message:
            'This browser has no sign-in waiting for this response: it was finished already, or was started elsewhere. Start again.',
        }),
      );
    }
    if (Date.now() - pending.startedAt > PENDING_TTL_MS) {
      return res
        .status(400)
        .send(errorPage({ title: 'Sign-in expired', message: 'The sign-in took too long. Start again.' }));
    }
    if (req.query.state !== pending.state) {
      return res.status(400).send(
        errorPage({
          title: 'Sign-in response rejected',
          message:
            'This response does not belong to the sign-in this browser started (state mismatch). Start again.',
        }),
      );
    }
    const search = new URL(req.originalUrl, 'http://callback.invalid').search;
    let signedIn: Awaited<ReturnType<typeof oidc.finish>>;
    try {
      signedIn = await oidc.finish(pending, search);
    } catch (err) {
      const failure = describeCallbackError(err);
      const { status, ...page } = failure;
      return res.status(status).send(errorPage(page));
    }
    // A step-up is only as good as the acr the OP put in the ID token, whatever was asked for.
    const stepUpFailed =
      pending.acrValues !== undefined && !acrAtLeast(signedIn.claims.acr, pending.acrValues)
        ? {
            wanted: pending.acrValues,
            page: pending.returnTo,
            ...(signedIn.claims.acr !== undefined ? { got: signedIn.claims.acr } : {}),
          }
        : undefined;
    await regenerate(req);
    const fresh = rpSession(req);
    fresh.user = signedIn;
    if (stepUpFailed) fresh.stepUpFailed = stepUpFailed;
    await save(req);
    res.redirect(303, pending.returnTo);
  });

  /**
   * A page that needs the sign-in at `acr` or stronger: shown when the ID token's acr is enough,
   * else the OP is asked for it (acr_values); a step-up that came back weaker is said once.
   */
  const guarded = (path: '/sensitive' | '/payments', acr: string, render: typeof sensitivePage) =>
    app.get(path, async (req, res) => {
      const state = rpSession(req);
      const user = state.user;
      if (user && acrAtLeast(user.claims.acr, acr)) {
        delete state.stepUpFailed;
        return res.send(render({ claims: user.claims }));
      }
      const failed = state.stepUpFailed;
      if (user && failed && (failed.page ?? '/sensitive') === path) {
        // Shown once; "Try again" asks the OP again.
        delete state.stepUpFailed;
        return res.status(403).send(stepUpRefusedPage({ ...failed, retry: path }));
      }
      await redirectToOp(req, res, { returnTo: path, acrValues: acr });
    });
  guarded('/sensitive', cfg.acrForSensitive, sensitivePage);
  guarded('/payments', cfg.acrForPayments, paymentsPage);

  app.post('/logout', form, csrfSynchronisedProtection, async (req, res) => {
    const user = req.session.demoRp?.user;
    await destroy(req);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    const endSession = user ? await oidc.endSessionUrl(user.idToken) : undefined;
    res.redirect(303, endSession ? endSession.href : '/signed-out');
  });

  app.get('/signed-out', (_req, res) => {
    res.send(signedOutPage());
  });

  app.use(
    (
      err: { code?: string; status?: number },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      if (err.code === 'EBADCSRFTOKEN' || err.status === 403) {
        return res.status(403).send(
          errorPage({
            title: 'Form expired',
            message:
              'This form has expired or did not come from this app. Go back, reload the page and try again.',
          }),
        );
      }
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        return res
          .status(err.status)
          .send(errorPage({ title: 'Bad request', message: 'The request was not understood.' }));
      }
      process.emitWarning(`demo RP: ${String((err as Error).stack ?? err)}`);
      res.status(503).send(
        errorPage({
          title: 'Unavailable',
          message: 'Something went wrong on our side. Try again in a moment.',
        }),
      );
    },
  );

  return { app };
}

if (import.meta.main) {
  const { config, port, host } = demoRpConfigFromEnv(process.env);
  const { app } = await createDemoRp(config);
  app.listen(port, host, () => {
    console.log(
      `demo RP on ${config.baseUrl} (listening on ${host}:${port}), signing in at ${config.issuer}`,
    );
  });
}
