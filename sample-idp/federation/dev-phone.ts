// The development phone at /dev/phone: the sample sends nothing to a phone (mfakit's development
// outbox keeps each message and call in this process's memory), so a keypad call
// (`phoneCall.answer: keypad`) is answered here instead — the page lists the calls the outbox
// holds that can still be answered, with a keypad form each, and hands the keys typed to
// `mfa.phoneCalls.keypad`, as a voice provider's webhook would, then shows what the call says.
// It answers sign-ins, so it exists only with the outbox outside production, and only for whoever
// opened the link with its key printed on the server's console (dev-phone-key.ts): a forwarder on
// this machine that adds no header (socat, `ssh -R`, nginx's bare proxy_pass) carries the internet
// to the port, so where a request comes from proves nothing on its own. As defence in depth it
// also answers only this machine: a client on a loopback socket address (not what X-Forwarded-For
// claims), not forwarded by a proxy that says so, naming the issuer's host (a DNS-rebinding page
// names its own). Its forms carry a token bound to a random cookie of its own (SameSite=Strict):
// no other site posts keys.
import { randomBytes } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import express, { type Request, type Response } from 'express';
import { type KeypadCall, type Mfa, maskPhoneNumber, type Outbox, readKeypadInput } from 'mfakit';
import { DEV_PHONE_PATH, devPhoneKeyCheck } from './dev-phone-key.ts';
import type { FormTokens } from './form-token.ts';
import { pageCsp, pageHeaders } from './http-headers.ts';
import { devPhonePage, messagePage, type RingingCall } from './pages.ts';

const COOKIE = 'fed_dev_phone';
const TOKEN_PURPOSE = 'development phone';
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** Headers a reverse proxy or CDN adds: a request carrying any came through one, not from this machine. */
const PROXY_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'via',
  'cf-connecting-ip',
  'true-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'fastly-client-ip',
];
const proxied = new WeakSet<Request>();

/**
 * Notes, before anything strips them (the server drops X-Forwarded-* from untrusted peers), the
 * requests that came through a proxy: a proxy on this machine forwards the internet from a
 * loopback address, so the development phone refuses every request that carries its headers.
 */
export function noteProxiedRequests(req: Request, _res: Response, next: () => void): void {
  if (PROXY_HEADERS.some((h) => req.headers[h] !== undefined)) proxied.add(req);
  next();
}

/**
 * Whether the server serves the development phone: only with its own outbox (no phone delivery
 * given), never in production.
 */
export function devPhoneServed(phoneDeliveryGiven: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return !phoneDeliveryGiven && env.NODE_ENV !== 'production';
}

/**
 * The form's call id and keys as mfakit reads them (`readKeypadInput`), so a malformed form is a
 * 400 before mfakit sees it — and, this being a form, spaces around the keys are no keys and
 * nothing typed is no answer (a real call that gathered nothing is mfakit's to deny).
 */
function answerOf(body: Record<string, unknown>): { callId: string; keys: string } | null {
  const keys = typeof body.keys === 'string' ? body.keys.trim() : body.keys;
  return keys === '' ? null : readKeypadInput(body.callId, keys);
}

export interface DevPhoneDeps {
  mfa: Mfa;
  outbox: Outbox;
  service: string;
  /** The server's issuer: the page answers requests naming its host only. */
  issuer: string;
  tokens: FormTokens;
  secureCookies: boolean;
  /** The key of the link printed on the console (`devPhoneLink`): nothing is answered without it. */
  key: string;
}

export function createDevPhone(deps: DevPhoneDeps): express.Router {
  const { mfa, outbox, service, tokens } = deps;
  const issuerHost = new URL(deps.issuer).host;
  /** Calls answered here (they hung up, whatever time they had left), until they would have lapsed. */
  const answered = new Map<string, number>();
  const hangUp = (call: KeypadCall) => {
    for (const [callId, expiresAt] of answered) if (expiresAt <= mfa.clock.now()) answered.delete(callId);
    answered.set(call.callId, call.expiresAt);
  };
  const ringing = (): KeypadCall[] =>
    outbox.calls.filter((c) => c.expiresAt > mfa.clock.now() && !answered.has(c.callId));
  const shown = (c: KeypadCall): RingingCall => ({
    callId: c.callId,
    maskedTo: maskPhoneNumber(c.to),
    says: `${c.greeting} ${c.prompt}`,
    secondsLeft: Math.max(1, Math.ceil((c.expiresAt - mfa.clock.now()) / 1000)),
  });
  const refuse = (res: Response, status: number, title: string, message: string) =>
    res.status(status).send(messagePage(service, title, message));

  /** The browser's own random value behind its form tokens, set on its first visit. */
  const browserId = (req: Request): string | undefined => parseCookies(req.headers.cookie ?? '')[COOKIE];
  const page = (req: Request, res: Response, status: number, more: { said?: string; error?: string }) => {
    let id = browserId(req);
    if (id === undefined || id.length < 16) {
      id = randomBytes(18).toString('base64url');
      res.cookie(COOKIE, id, {
        path: DEV_PHONE_PATH,
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.secureCookies,
      });
    }
    res.status(status).send(
      devPhonePage({
        service,
        csrf: tokens.tokenFor(TOKEN_PURPOSE, id),
        calls: ringing().map(shown),
        ...more,
      }),
    );
  };

  const router = express.Router();
  router.use(pageHeaders(pageCsp([])), (req, res, next) => {
    const fromThisMachine =
      LOOPBACK.has(req.socket.remoteAddress ?? '') &&
      !proxied.has(req) &&
      !PROXY_HEADERS.some((h) => req.headers[h] !== undefined) &&
      req.headers.host === issuerHost;
    if (fromThisMachine) return next();
    refuse(
      res,
      403,
      'Not from here',
      `The development phone answers this machine only, at ${deps.issuer}${DEV_PHONE_PATH}.`,
    );
  });
  const keyCheck = devPhoneKeyCheck(deps.key, deps.secureCookies);
  router.use((req, res, next) => {
    // The link with the key: the cookie, then the page without the key in the address bar.
    if (req.method === 'GET' && req.query.key !== undefined && keyCheck.isKey(req.query.key)) {
      keyCheck.setCookie(res);
      return res.redirect(303, DEV_PHONE_PATH);
    }
    if (req.query.key === undefined && keyCheck.hasCookie(req)) return next();
    refuse(
      res,
      403,
      'Open the link from the console',
      "The development phone opens only with its key: open the link printed on the server's console (…/dev/phone?key=…).",
    );
  });

  router.get('/', (req, res) => page(req, res, 200, {}));

  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 });
  router.post('/answer', form, async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const id = browserId(req);
      if (id === undefined || !tokens.check(TOKEN_PURPOSE, id, body._csrf))
        return refuse(res, 403, 'Form expired', 'This form has expired. Open the development phone again.');
      const answer = answerOf(body);
      if (answer === null)
        return page(req, res, 400, {
          error: 'Type the keys as a phone keypad has them: digits and *, at most 16, then # if you like.',
        });
      const { callId, keys } = answer;
      const call = ringing().find((c) => c.callId === callId);
      if (call === undefined)
        return page(req, res, 404, {
          error: 'That call is not ringing any more: it was answered or it lapsed.',
        });
      hangUp(call);
      const { say } = await mfa.phoneCalls.keypad({ callId, keys }, { ip: req.socket.remoteAddress ?? '' });
      page(req, res, 200, { said: say });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
