// The device API over HTTP, written once for every integration: `POST <base>/activate`,
// `<base>/pending` and `<base>/answer`, each a JSON body `{ "request": "<JWT signed by the
// device>" }` (src/methods/push/device-token.ts), answered with JSON and `Cache-Control:
// no-store`. No session, cookie or CSRF token: a device proves itself by its signature, and a
// browser's cookies prove nothing here. Bodies are JSON of at most 16 kB; a malformed or larger
// one is a 400 or 413 with a clear message; a store failure a 503 (fail closed, audited).
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { DEVICE_ACTIONS } from '../engine/device-requests.ts';
import type { Mfa } from '../engine/mfa.ts';
import { bodyReaderFailure } from './body-errors.ts';
import { answerOutage } from './outage.ts';

const DEVICE_BODY_LIMIT = '16kb';

/** The device API's routes, to mount where `pushMethod({ endpoint })` says the app finds them. */
export function createDeviceApiRouter(mfa: Mfa): Router {
  const router = express.Router();
  // Any content type is read as JSON: an app need not get the header right to get a clear answer.
  const json = express.json({ limit: DEVICE_BODY_LIMIT, strict: false, type: () => true });
  for (const action of DEVICE_ACTIONS) {
    router.post(`/${action}`, json, async (req: Request, res: Response) => {
      const answer = await mfa.deviceApi.handle(action, req.body, { ip: mfa.clientIp(req) });
      if (answer.retryAfterSeconds !== undefined) res.set('Retry-After', String(answer.retryAfterSeconds));
      res.status(answer.status).set('Cache-Control', 'no-store').json(answer.body);
    });
  }
  router.use((_req: Request, res: Response) => {
    res
      .status(404)
      .set('Cache-Control', 'no-store')
      .json({
        error: 'not_found',
        message: `The device API answers POST ${DEVICE_ACTIONS.map((a) => `/${a}`).join(', ')}.`,
      });
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    if (mfa.reportOutage(err, { ip: mfa.clientIp(req) })) return answerOutage(res, { html: false });
    // Every body the reader refused is an invalid_request: an app gets the one error its protocol knows.
    const refused = bodyReaderFailure(err);
    if (refused?.kind === 'too_large') {
      res.status(413).json({
        error: 'invalid_request',
        message: `The request is larger than ${refused.limit ?? DEVICE_BODY_LIMIT}.`,
      });
      return;
    }
    if (refused?.kind === 'malformed') {
      res.status(400).json({ error: 'invalid_request', message: 'The request body is not valid JSON.' });
      return;
    }
    // A body it could not read (a charset or Content-Encoding it does not decode, a gzip body that is
    // not gzip, a wrong length): the client's fault, a 400 whatever the reader's status (415).
    if (refused) {
      res.status(400).json({ error: 'invalid_request', message: 'The request body could not be read.' });
      return;
    }
    process.emitWarning(`mfakit: device API: ${(err as Error)?.stack ?? String(err)}`);
    res.status(503).json({ error: 'service_unavailable', message: 'Try again in a moment.' });
  });
  return router;
}
