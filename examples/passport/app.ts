import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import type { Mfa } from 'mfakit';
import { createMfaExpress } from 'mfakit/express';
import { beginMfa, logoutMfa, MfaStrategy, mfaPage, PasskeyStrategy } from 'mfakit/passport';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';

export interface User {
  id: string;
  name: string;
}
export interface Users {
  findById(id: string): Promise<User | null>;
  findByName(name: string): Promise<User | null>;
  /** `id` null: no such user; do the same work (e.g. check a dummy hash). */
  checkPassword(id: string | null, password: string): Promise<boolean>;
}

export function createApp(mfa: Mfa, users: Users, sessionSecret: string) {
  const passport = new Passport();
  // Every password goes through mfakit's first-factor gate (throttle, same answer for unknown users, audit).
  const gate = mfa.firstFactorGate({
    resolve: (name) => users.findByName(name),
    verifyPassword: (id, password) => users.checkPassword(id, password),
  });
  passport.use(
    new LocalStrategy({ passReqToCallback: true }, (req, username, password, done) => {
      gate
        .signIn({ identifier: username, secret: password, kind: 'password', ip: mfa.clientIp(req) })
        .then(async (result) => done(null, (result.ok && (await users.findById(result.accountId))) || false))
        .catch(done);
    }),
  );
  // A passkey (no user name, no password) is a first factor too, when the webauthn method is enabled.
  passport.use(new PasskeyStrategy({ mfa, loadUser: (id) => users.findById(id) }));
  passport.use(new MfaStrategy({ mfa, loadUser: (id) => users.findById(id) }));
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) =>
    users.findById(id).then((user) => done(null, user ?? false), done),
  );
  // mfakit's guard (it ties the stamp to req.user) and router (security info: methods, recovery
  // codes, devices; the assets of mfakit's pages: stylesheet, WebAuthn scripts).
  const web = createMfaExpress(mfa, { userIdOf: (user) => (user as User).id });

  const app = express();
  app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false }), passport.session());
  app.use(express.urlencoded({ extended: false }));
  app.use('/mfa', web.router());

  // A first factor — the password, or a passkey — puts the user into mfakit's pending sign-in,
  // not req.user, until the second step (none is needed after a verified passkey).
  const firstFactor = (strategy: 'local' | 'passkey') => (req: Request, res: Response, next: NextFunction) =>
    passport.authenticate(
      strategy,
      (
        err: unknown,
        user: User | false,
        info?: { amr?: string[]; methodId?: string; message?: string; retryAfterSeconds?: number },
      ) => {
        if (err) return next(err);
        if (!user) {
          // A refused first factor; throttled (too many failures from this address): 429 and when to retry.
          if (info?.retryAfterSeconds) res.status(429).set('Retry-After', String(info.retryAfterSeconds));
          else res.status(401);
          return res.send(info?.message ?? 'Wrong user name or password.');
        }
        beginMfa(req, res, {
          mfa,
          user,
          userId: user.id,
          amr: info?.amr ?? ['pwd'],
          ...(info?.methodId ? { firstFactorMethodId: info.methodId } : {}), // a passkey: not twice
          promptPath: '/login/mfa',
        }).catch(next);
      },
    )(req, res, next);
  // Your sign-in page posts username and password here, and a passkey from its
  // passkeySignInForm('/mfa', { action: '/login/passkey' }) (mfakit/express).
  app.post('/login', firstFactor('local'));
  app.post('/login/passkey', firstFactor('passkey'));
  app.get('/login/mfa', mfaPage(mfa));
  app.post(
    '/login/mfa',
    passport.authenticate('mfa', {
      keepSessionInfo: true, // Passport's login regenerates the session: keep the MFA stamp and returnTo
      successReturnToOrRedirect: '/',
      failureRedirect: '/login/mfa',
      failureMessage: true,
    }),
  );
  app.post('/logout', (req, res, next) => logoutMfa(req, mfa).then(() => res.redirect('/login'), next));

  const signedIn = (req: Request, res: Response, next: NextFunction) => {
    if (req.isAuthenticated()) return next();
    req.session.returnTo = req.originalUrl;
    res.redirect('/login');
  };
  app.get('/', signedIn, web.requireMfa(), (req, res) => res.send(`Hello ${(req.user as User).name}`));
  return app;
}
