// The policy administration API: a JSON router to mount behind the application's own admin
// authentication, e.g. `app.use('/admin/policies-api', createPolicyAdminRouter(mfa, { authorize }))`.
//
// - Who may use it is the application's decision: `authorize(req)` returns the administrator's
//   name (recorded as `by` in the policy store and in the `policies_changed` audit event) or
//   null (403). It is required; there is no default that lets anyone in. It may also throw an
//   MfaError (e.g. status 401) to answer differently.
// - Every write is a read-modify-write of the whole document, based on the version the client
//   read (`If-Match: "<version>"` or `?version=`), saved with `mfa.policies.replace()`: the whole
//   new document is validated (so a policy naming an unknown location is refused with its path),
//   and a concurrent change makes the write fail with 409 instead of being lost.
// - Issue paths are paths in the whole document (`policies.3.conditions.locations.include.0`).
// - JSON bodies only (415 otherwise; a cross-site form cannot send one), 1 MB per policy,
//   8 MB for the whole document.
// - A store that fails answers 503 `service_unavailable` with Retry-After, and is audited as
//   `store_unavailable`, as every integration does (src/web/outage.ts); nothing is written.
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Mfa } from '../engine/create-mfa.ts';
import { PolicyVersionConflict } from '../engine/policy-source.ts';
import { MfaError } from '../errors.ts';
import { PolicyLoadError, parsePolicyDocument } from '../policy/load.ts';
import type { Policy, PolicyDocument } from '../policy/model.ts';
import { firstIssue } from '../web/bodies.ts';
import { bodyReaderFailure } from '../web/body-errors.ts';
import { answerOutage } from '../web/outage.ts';
import { requestIdOf } from '../web/request-id.ts';
import { whatIfBody, whatIfReport } from './what-if.ts';

export interface PolicyAdminOptions {
  /** The administrator's name, or null to refuse the request. */
  authorize: (req: Request) => string | null | Promise<string | null>;
}

const POLICY_BODY_LIMIT = '1mb';
const DOCUMENT_BODY_LIMIT = '8mb';
/** At most this many issues in one answer (an 8 MB document can have many thousands). */
const MAX_ISSUES = 200;

const stateBody = z.strictObject({ state: z.enum(['on', 'off', 'reportOnly']) });

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const etag = (version: number) => `"${version}"`;

/**
 * The version a write is based on: `If-Match: "<version>"` (or bare digits) or `?version=`.
 * None: 428. `*` is refused too: it would skip the compare-and-set this API exists for.
 */
function expectedVersion(req: Request): number {
  const header = req.get('if-match');
  const query = req.query.version;
  const values: string[] = [];
  if (header !== undefined && header.trim() !== '') {
    const tag = header.trim();
    if (tag === '*')
      throw new MfaError(
        'precondition_required',
        'If-Match: * is not accepted; send the version you edited, e.g. If-Match: "3".',
        428,
      );
    const m = /^"?(\d{1,15})"?$/.exec(tag);
    if (!m?.[1] || tag.startsWith('"') !== tag.endsWith('"'))
      throw new MfaError('invalid_version', 'If-Match must be one version, e.g. If-Match: "3".', 400);
    values.push(m[1]);
  }
  if (query !== undefined) {
    if (typeof query !== 'string' || !/^\d{1,15}$/.test(query))
      throw new MfaError('invalid_version', 'The version parameter must be one non-negative integer.', 400);
    values.push(query);
  }
  if (values.length === 0)
    throw new MfaError(
      'precondition_required',
      'Say which version you edited: send If-Match: "<version>" (the ETag of your last read) or ?version=.',
      428,
    );
  if (values.length === 2 && Number(values[0]) !== Number(values[1]))
    throw new MfaError('invalid_version', 'If-Match and the version parameter disagree.', 400);
  return Number(values[0]);
}

/** The repository holds a document the engine refuses (it was written around it). */
class StoredDocumentInvalid extends MfaError {
  readonly version: number;
  readonly issues: { path: string; message: string }[];
  constructor(version: number, issues: { path: string; message: string }[]) {
    super(
      'stored_policies_invalid',
      `The saved policy document (version ${version}) is invalid, so sign-ins are refused; replace it with PUT /document and If-Match: "${version}".`,
      500,
    );
    this.version = version;
    this.issues = issues;
  }
}

const notFound = (id: string) =>
  new MfaError('policy_not_found', `No policy with id "${id.slice(0, 128)}".`, 404);

export function createPolicyAdminRouter(mfa: Mfa, options: PolicyAdminOptions): express.Router {
  if (typeof options?.authorize !== 'function')
    throw new TypeError(
      'createPolicyAdminRouter(mfa, { authorize }): authorize(req) is required; it returns the administrator name or null',
    );
  const { authorize } = options;
  const router = express.Router();
  const admins = new WeakMap<Request, string>();

  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });

  // Authorization comes first: nobody unauthorized gets a body parsed or learns what exists.
  router.use(async (req, _res, next) => {
    try {
      const who = await authorize(req);
      if (typeof who !== 'string' || who.trim() === '')
        return next(new MfaError('forbidden', 'An administrator must be signed in to manage policies.', 403));
      admins.set(req, who.trim().slice(0, 200));
      next();
    } catch (err) {
      next(err);
    }
  });

  router.use((req, _res, next) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is('application/json'))
      return next(
        new MfaError('unsupported_media_type', 'Send a JSON body with Content-Type: application/json.', 415),
      );
    next();
  });

  const policyJson = express.json({ limit: POLICY_BODY_LIMIT, strict: true });
  const documentJson = express.json({ limit: DOCUMENT_BODY_LIMIT, strict: true });

  const ctxOf = (req: Request) => ({
    ip: mfa.clientIp(req),
    requestId: requestIdOf(req),
    by: admins.get(req) ?? 'unknown',
  });

  /** The saved version only (store mode: from the repository, even if its document is invalid). */
  const readVersion = async (): Promise<number> => {
    if (mfa.policies.mode !== 'store') return (await mfa.policies.current()).version;
    return (await mfa.policies.saved())?.version ?? 0;
  };

  /**
   * The saved document and its version. In store mode it is read from the repository itself,
   * not from the engine's cache (which may be up to `policyRefreshSeconds` old): an edit must
   * be based on exactly the version the client names. A saved document that is invalid (written
   * around the engine) is reported with its version, so PUT /document can replace it.
   */
  const readCurrent = async (): Promise<{ version: number; document: PolicyDocument }> => {
    if (mfa.policies.mode !== 'store') {
      const set = await mfa.policies.current();
      return { version: set.version, document: set.document };
    }
    const record = await mfa.policies.saved();
    if (record === null) return { version: 0, document: emptyDocument() };
    const cached = await mfa.policies.current().catch(() => null);
    if (cached?.version === record.version) return { version: record.version, document: cached.document };
    try {
      return { version: record.version, document: parsePolicyDocument(record.document) };
    } catch (err) {
      if (err instanceof PolicyLoadError) throw new StoredDocumentInvalid(record.version, err.issues);
      throw err;
    }
  };

  /**
   * One write: the current document at the version the client edited, changed by `change`,
   * validated whole and saved with compare-and-set on that version. A whole new document
   * (`{ replaceWith }`) does not need the saved one to be readable.
   */
  const write = async (
    req: Request,
    res: Response,
    change: ((doc: PolicyDocument) => unknown) | { replaceWith: unknown },
  ) => {
    const expected = expectedVersion(req);
    let next: unknown;
    if (typeof change !== 'function') {
      const version = await readVersion();
      if (version !== expected) throw new PolicyVersionConflict(expected, version);
      next = change.replaceWith;
    } else {
      const current = await readCurrent();
      if (current.version !== expected) throw new PolicyVersionConflict(expected, current.version);
      next = change(structuredClone(current.document));
    }
    const set = await mfa.policies.replace(next, expected, ctxOf(req));
    res.set('ETag', etag(set.version));
    return set;
  };

  const idOf = (req: Request): string => {
    const id = req.params.id;
    if (typeof id !== 'string') throw notFound('');
    return id;
  };

  const policyIn = (doc: PolicyDocument, id: string): Policy | undefined =>
    doc.policies.find((p) => p.id === id);

  const bodyObject = (req: Request): Record<string, unknown> => {
    if (!isPlainObject(req.body))
      throw new MfaError('invalid_request', 'The request body must be a JSON object.', 400);
    return req.body;
  };

  router.get('/policies', async (_req, res) => {
    const { version, document } = await readCurrent();
    res.set('ETag', etag(version)).json({ version, policies: document.policies });
  });

  router.get('/policies/:id', async (req, res) => {
    const { version, document } = await readCurrent();
    const id = idOf(req);
    const policy = policyIn(document, id);
    if (!policy) throw notFound(id);
    res.set('ETag', etag(version)).json(policy);
  });

  router.post('/policies', policyJson, async (req, res) => {
    const body = bodyObject(req);
    const id = typeof body.id === 'string' ? body.id : undefined;
    const set = await write(req, res, (doc) => {
      if (id !== undefined && policyIn(doc, id))
        throw new MfaError(
          'policy_exists',
          `A policy with id "${id.slice(0, 128)}" exists; use PUT to change it.`,
          409,
        );
      return { ...doc, policies: [...doc.policies, body] };
    });
    const policy = id === undefined ? undefined : policyIn(set.document, id);
    if (id !== undefined) res.location(`${req.baseUrl}/policies/${encodeURIComponent(id)}`);
    res.status(201).json({ version: set.version, policy });
  });

  router.put('/policies/:id', policyJson, async (req, res) => {
    const body = bodyObject(req);
    const id = idOf(req);
    if (body.id !== undefined && body.id !== id)
      throw new MfaError(
        'id_mismatch',
        'The id in the body differs from the one in the path; a policy cannot be renamed (create a new one and delete the old).',
        400,
      );
    const set = await write(req, res, (doc) => {
      const index = doc.policies.findIndex((p) => p.id === id);
      if (index < 0) throw notFound(id);
      const policies: unknown[] = [...doc.policies];
      policies[index] = { ...body, id };
      return { ...doc, policies };
    });
    res.json({ version: set.version, policy: policyIn(set.document, id) });
  });

  router.post('/policies/:id/state', policyJson, async (req, res) => {
    const parsed = stateBody.safeParse(req.body);
    if (!parsed.success) throw new MfaError('invalid_request', firstIssue(parsed.error), 400);
    const id = idOf(req);
    const set = await write(req, res, (doc) => {
      const policy = policyIn(doc, id);
      if (!policy) throw notFound(id);
      policy.state = parsed.data.state;
      return doc;
    });
    res.json({ version: set.version, policy: policyIn(set.document, id) });
  });

  router.delete('/policies/:id', async (req, res) => {
    const id = idOf(req);
    await write(req, res, (doc) => {
      if (!policyIn(doc, id)) throw notFound(id);
      return { ...doc, policies: doc.policies.filter((p) => p.id !== id) };
    });
    res.status(204).end();
  });

  router.get('/document', async (_req, res) => {
    const { version, document } = await readCurrent();
    res.set('ETag', etag(version)).json({ version, document });
  });

  router.put('/document', documentJson, async (req, res) => {
    const body = bodyObject(req);
    const set = await write(req, res, { replaceWith: body });
    res.json({ version: set.version });
  });

  /** A hypothetical sign-in, decided with every policy explained. Reads only: no audit, no writes. */
  router.post('/what-if', policyJson, async (req, res) => {
    const parsed = whatIfBody.safeParse(req.body ?? {});
    if (!parsed.success)
      throw Object.assign(new MfaError('invalid_request', firstIssue(parsed.error), 400), {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
      });
    const decision = await mfa.whatIf(parsed.data).catch(async (err: unknown) => {
      // An invalid saved document is not this request's fault: say what it is (readCurrent throws).
      if (mfa.policies.mode === 'store') await readCurrent();
      throw err;
    });
    res.json(whatIfReport(decision));
  });

  router.use((_req, _res, next) => next(new MfaError('not_found', 'No such endpoint.', 404)));

  // Errors: bad input → 4xx with a clear message; store trouble → 503 (never a 5xx for bad input).
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A store that failed: the answer and the audit (store_unavailable) every integration gives.
    if (!res.headersSent && mfa.reportOutage(err, ctxOf(req))) return answerOutage(res, { html: false });
    const refused = bodyReaderFailure(err);
    let status = 500;
    let body: Record<string, unknown> = { error: 'internal_error', message: '' };
    if (err instanceof MfaError) {
      status = err.status;
      body = { error: err.code, message: err.message };
      const issues = err instanceof PolicyLoadError ? err.issues : (err as { issues?: unknown }).issues;
      if (Array.isArray(issues)) {
        body.issues = issues.slice(0, MAX_ISSUES);
        if (issues.length > MAX_ISSUES) body.issuesOmitted = issues.length - MAX_ISSUES;
      }
    } else if (refused?.kind === 'too_large') {
      status = refused.status;
      body = {
        error: 'body_too_large',
        message: `The request body is larger than ${refused.limit ?? 'allowed'}.`,
      };
    } else if (refused?.kind === 'malformed') {
      status = refused.status;
      body = { error: 'malformed_json', message: 'The request body is not valid JSON.' };
    } else if (refused) {
      // A body it could not read (a charset or Content-Encoding it does not decode…), or any other 4xx.
      status = refused.status;
      body = { error: refused.type ?? 'bad_request', message: 'The request could not be understood.' };
    }
    if (err instanceof StoredDocumentInvalid) {
      // Not the caller's fault, and not hidden from the administrator: how to repair it.
      res.set('ETag', etag(err.version));
      return res.status(500).json({ ...body, version: err.version });
    }
    if (status >= 500) {
      process.emitWarning(`mfakit policy admin: ${(err as Error)?.stack ?? String(err)}`);
      status = 503;
      body = {
        error: 'unavailable',
        message: 'Policy administration is unavailable right now. Try again in a moment.',
      };
    }
    res.status(status).json(body);
  });

  return router;
}

function emptyDocument(): PolicyDocument {
  return { namedLocations: [], authenticationStrengths: [], policies: [] };
}
