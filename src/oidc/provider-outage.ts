// Store outages inside oidc-provider's own endpoints (/auth, /token, /me, /session/end, …). A
// StoreError met while the provider handles one of its requests — in mfakit's adapter or in
// mfakit's interaction checks — becomes the OAuth error `temporarily_unavailable` (RFC 6749
// §4.1.2.1) with status 503, which oidc-provider answers as it answers any error: JSON to a
// client, its `renderError` page to a browser. It never redirects to the client (a browser
// reloading the same /auth URL once the store is back signs in), and nothing is issued: the
// request stops where the store failed. `outageMiddleware`, which `createProvider()` and
// `mount()` put in front of the provider's routes, audits the outage through `mfa.reportOutage`
// (store_unavailable, at most once per interval, as every integration does) and adds
// Retry-After to the 503.
//
// A StoreInputError (a value the store cannot hold, e.g. a NUL character in an id PostgreSQL
// is asked to look up) is bad input, not an outage: inside the provider's requests it becomes
// `invalid_request` (400), audited as nothing.
//
// Outside the provider's own requests (mfakit's pages and your login page calling
// `provider.interactionDetails()`), the StoreError is thrown as is: those answer it themselves.
import Provider, { errors } from 'oidc-provider';
import type { Mfa } from '../engine/create-mfa.ts';
import { StoreError, StoreInputError } from '../errors.ts';
import { OUTAGE_ANSWER } from '../web/outage.ts';
import { requestIdOf } from '../web/request-id.ts';

/** A Koa middleware, as `provider.use()` takes it. */
type ProviderMiddleware = Parameters<Provider['use']>[0];

/** oidc-provider's `temporarily_unavailable` with the status of an outage: 503, shown, never redirected. */
export class ProviderStoreUnavailable extends errors.TemporarilyUnavailable {
  constructor(cause: StoreError) {
    // The store's own message is the audit log's (store_unavailable), never the client's.
    super(OUTAGE_ANSWER.message, { cause, detail: 'store unavailable' });
    this.status = OUTAGE_ANSWER.status;
    this.statusCode = OUTAGE_ANSWER.status;
    // oidc-provider hides every 5xx as server_error unless told it may show this one.
    this.expose = true;
    // A redirect would hand the client an error with no Retry-After; the browser stays here.
    this.allow_redirect = false;
  }
}

/**
 * oidc-provider's `invalid_request` (400) for input no store can hold, shown on the provider's
 * error page, never redirected to the client (which would get the offending value echoed back).
 */
export function providerInputError(description: string): InstanceType<typeof errors.InvalidRequest> {
  const error = new errors.InvalidRequest(description);
  error.allow_redirect = false;
  return error;
}

/** The first StoreError each of the provider's requests met (keyed by its Koa context). */
const met = new WeakMap<object, StoreError>();

/**
 * `err` as oidc-provider should answer it: a StoreError met in one of the provider's own requests
 * becomes a ProviderStoreUnavailable (and is remembered for the audit), a StoreInputError its
 * `invalid_request`; anything else is returned as is. Throw what it returns.
 */
export function asProviderError(err: unknown): unknown {
  if (!(err instanceof StoreError) && !(err instanceof StoreInputError)) return err;
  const ctx = Provider.ctx;
  if (ctx === undefined) return err;
  if (err instanceof StoreInputError) return providerInputError(err.message);
  if (!met.has(ctx)) met.set(ctx, err);
  return new ProviderStoreUnavailable(err);
}

/** `fn` with a StoreError it throws inside a provider request turned into the provider's 503. */
export function guarded<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw asProviderError(err);
    }
  };
}

/**
 * Koa middleware for the provider (`provider.use()`): after a request that met a store outage,
 * the outage is audited once through `mfa.reportOutage`, and a 503 answer gets Retry-After.
 * The session oidc-provider saves after every request (even a failed one) may fail too, after
 * the error was answered: that is answered here the same way.
 */
export function outageMiddleware(mfa: Pick<Mfa, 'reportOutage' | 'clientIp'>): ProviderMiddleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof ProviderStoreUnavailable) || ctx.headerSent) throw err;
      // What the request had answered (a redirect carrying a code…) is dropped: nothing is issued.
      for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
      ctx.set('Cache-Control', 'no-store');
      ctx.status = err.status;
      ctx.body = { error: err.error, error_description: err.error_description };
    }
    const outage = met.get(ctx);
    if (outage === undefined) return;
    mfa.reportOutage(outage, { ip: mfa.clientIp(ctx.req), requestId: requestIdOf(ctx.req) });
    if (ctx.status === OUTAGE_ANSWER.status) ctx.set('Retry-After', String(OUTAGE_ANSWER.retryAfterSeconds));
  };
}
