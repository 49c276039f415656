// The mountable router: HTML pages (forms with CSRF tokens, html-routes.ts) at the top level,
// the same operations as JSON under /api (api-routes.ts), both over one session flow
// (session-flow.ts); one error answer for both. A store that fails answers 503 (fail closed), and
// the outage is audited (mfa.reportOutage).
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Mfa } from '../engine/create-mfa.ts';
import { DeliveryError, MfaError, SlowDownError } from '../errors.ts';
import { BODY_LIMIT } from '../web/bodies.ts';
import { bodyReaderFailure } from '../web/body-errors.ts';
import { createDeviceApiRouter } from '../web/device-api.ts';
import { STYLE_CSS } from '../web/html.ts';
import { answerOutage } from '../web/outage.ts';
import { setPageHeaders } from '../web/page-headers.ts';
import * as pages from '../web/pages.ts';
import { webauthnScripts } from '../web/webauthn-assets.ts';
import { createApiRoutes } from './api-routes.ts';
import type { MfaExpress } from './create-mfa-express.ts';
import { createHtmlRoutes } from './html-routes.ts';
import { createPasskeyRoutes } from './passkey-routes.ts';
import { createSessionFlow } from './session-flow.ts';

/** The router `MfaExpress.router()` returns: the pages, the JSON API and their stylesheet. */
export function createMfaRouter(mfa: Mfa, web: MfaExpress) {
  const router = express.Router();
  const { basePath, loginPath } = web.options;
  const flow = createSessionFlow(mfa, web);
  router.use((_req, res, next) => {
    setPageHeaders(res);
    next();
  });
  router.get('/assets/style.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(STYLE_CSS);
  });
  // The WebAuthn client of the passkey forms: the browser library from node_modules, and mfakit's.
  router.get('/assets/webauthn-browser.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(webauthnScripts().browser);
  });
  router.get('/assets/webauthn-client.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(webauthnScripts().client);
  });
  // Push apps' signed requests: no session, no CSRF token (src/web/device-api.ts).
  if (mfa.deviceApi.enabled) router.use('/device', createDeviceApiRouter(mfa));
  router.use(createPasskeyRoutes(mfa, web));
  router.use('/api', createApiRoutes(mfa, web, flow));
  router.use(createHtmlRoutes(mfa, web, flow));

  // Errors: bad input → 4xx with a clear message; store trouble → 503, fail closed.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const isApi = req.originalUrl.startsWith(`${basePath}/api`) || !web.wantsHtml(req);
    const page = { basePath, csrfToken: '', issuer: mfa.settings.issuer };
    if (mfa.reportOutage(err, web.ctxOf(req)))
      return answerOutage(res, { html: !isApi, page, link: { href: loginPath, text: 'Back to sign-in' } });
    const refused = bodyReaderFailure(err);
    const csrfCode = (err as { code?: unknown } | null)?.code;
    let status = 500;
    let code = 'internal_error';
    let message = 'Verification is unavailable right now. Try again in a moment.';
    if (err instanceof SlowDownError) res.set('Retry-After', String(err.retryAfterSeconds));
    if (err instanceof MfaError) {
      ({ status, code, message } = err);
      // A provider that would not send a code says so; any other failure says nothing of itself.
      if (status >= 500 && !(err instanceof DeliveryError))
        message = 'Verification is unavailable right now. Try again in a moment.';
    } else if (refused?.kind === 'too_large') {
      [status, code, message] = [
        refused.status,
        'body_too_large',
        `The request body is larger than ${refused.limit ?? BODY_LIMIT}.`,
      ];
    } else if (refused?.kind === 'malformed') {
      [status, code, message] = [refused.status, 'malformed_json', 'The request body is not valid JSON.'];
    } else if (csrfCode === 'csrf_invalid' || csrfCode === 'EBADCSRFTOKEN') {
      [status, code, message] = [
        403,
        'csrf_invalid',
        'This form has expired. Reload the page and try again.',
      ];
    } else if (refused) {
      // A body it could not read (a charset or Content-Encoding it does not decode…), or any other 4xx.
      [status, code, message] = [
        refused.status,
        refused.type ?? 'bad_request',
        'The request could not be understood.',
      ];
    }
    if (status >= 500) {
      status = 503;
      process.emitWarning(`mfakit: ${(err as Error)?.stack ?? String(err)}`);
    }
    if (isApi) return res.status(status).json({ error: code, message });
    res
      .status(status)
      .type('html')
      .send(
        pages.messagePage(page, 'Something went wrong', message, {
          href: loginPath,
          text: 'Back to sign-in',
        }),
      );
  });

  return router;
}
