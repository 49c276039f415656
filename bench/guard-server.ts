import express from 'express';
import session from 'express-session';
import { createMfa } from 'mfakit';
import { createMemoryStores } from 'mfakit/adapters/memory';
import { createMfaExpress } from 'mfakit/express';

/**
 * The server side of the guard benchmark, run as a child process so the load generator
 * does not share its event loop: the same handler behind the same session middleware,
 * once bare and once behind requireMfa().
 */
const mfa = createMfa({
  stores: createMemoryStores(),
  issuer: 'bench',
  sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 3) }],
  audit: () => {},
  rememberDevice: { enabled: true, days: 14, maxDays: 60, cookieName: 'mfakit_rd', secureCookie: false },
});
const web = createMfaExpress(mfa);
const app = express();
app.use(session({ secret: 'bench-secret-bench-secret', resave: false, saveUninitialized: false }));
app.post('/login', express.json(), (req, res, next) => {
  web.beginSignIn(req, res, { userId: String((req.body as { user?: string }).user ?? 'alice') }).catch(next);
});
app.use('/mfa', web.router());
const handler = (_req: express.Request, res: express.Response) => {
  res.json({ ok: true });
};
app.get('/bare', handler);
app.get('/guarded', web.requireMfa(), handler);
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
// The bench asks for this process's CPU time around each run (bench/guard.ts).
process.on('message', (m) => {
  if (m !== 'usage') return;
  const { user, system } = process.cpuUsage();
  process.send?.({ cpuMs: (user + system) / 1000 });
});
