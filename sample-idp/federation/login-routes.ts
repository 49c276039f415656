import express, { type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { MfaError } from '../../src/errors.ts';
import type { EphemeralStore } from '../../src/index.ts';
import type { OidcMfa } from '../../src/oidc/index.ts';
import type { FederationConfig } from './config.ts';
import type { LocalDirectory } from './directory.ts';
import type { Federation } from './federation-routes.ts';
import type { FormTokens } from './form-token.ts';
import { identifierPage, passwordPage, type SignInPageProps } from './pages.ts';

/**
 * The `login` prompt's pages: who are you (with the "Sign in with <partner>" chooser), then
 * either the claims provider that owns the address's domain or the password. A wrong
 * password and an unknown user get the same answer after the same work; more than
 * MAX_FAILURES wrong passwords for one name within the window are refused outright.
 */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 15 * 60_000;
const WRONG = 'Wrong user name or password.';

const identifyBody = z.object({
  identifier: z.string().trim().min(1).max(256),
  _csrf: z.string().optional(),
});
const loginBody = identifyBody.extend({ password: z.string().min(1).max(256) });

export interface LoginDeps {
  config: FederationConfig;
  provider: Provider;
  oidc: OidcMfa;
  directory: LocalDirectory;
  federation: Federation;
  tokens: FormTokens;
  ephemeral: EphemeralStore;
}

export function createLoginRouter(deps: LoginDeps) {
  const { config, provider, oidc } = deps;
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  const trusts = new Map(config.relyingParties.map((rp) => [rp.clientId, rp]));
  const choices = config.claimsProviders.map((p) => ({ id: p.id, displayName: p.displayName }));

  /** The interaction (cookie-bound, uid-checked) and the props its pages share. */
  async function open(req: Request, res: Response, post: boolean) {
    const details = await oidc.interactionFor(provider, req, res, String(req.params.uid));
    if (details.prompt.name !== 'login')
      throw new MfaError('interaction_state', 'This sign-in is not waiting for a password.', 400);
    if (post && !deps.tokens.check('login', details.uid, (req.body as { _csrf?: unknown })._csrf))
      throw new MfaError('csrf_invalid', 'This form has expired. Reload the page and try again.', 403);
    const clientId = String(details.params.client_id ?? '');
    const props: SignInPageProps = {
      service: config.displayName,
      uid: details.uid,
      csrf: deps.tokens.tokenFor('login', details.uid),
      clientName: trusts.get(clientId)?.displayName ?? clientId,
      providers: choices,
    };
    return { details, props };
  }

  /** The claims provider an identifier (an e-mail address, or a local user's name) belongs to. */
  const ownerOf = (identifier: string) => {
    const email = identifier.includes('@') ? identifier : deps.directory.find(identifier)?.email;
    const provider = email ? deps.federation.providerForEmail(email) : undefined;
    return provider && email ? { provider, email } : null;
  };

  const bodyOf = <T extends z.ZodType>(schema: T, req: Request): z.infer<T> => {
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) throw new MfaError('invalid_request', 'Fill in every field and try again.', 400);
    return parsed.data;
  };

  router.get('/interaction/:uid', async (req, res, next) => {
    try {
      const { details, props } = await open(req, res, false);
      const hint =
        typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 256) : undefined;
      res.send(identifierPage({ ...props, ...(hint ? { identifier: hint } : {}) }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/interaction/:uid/identify', form, async (req, res, next) => {
    try {
      const { props } = await open(req, res, true);
      const { identifier } = bodyOf(identifyBody, req);
      const partner = ownerOf(identifier);
      if (partner) return await deps.federation.begin(res, props.uid, partner.provider.id, partner.email);
      res.send(passwordPage({ ...props, identifier }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/interaction/:uid/federate/:cp', form, async (req, res, next) => {
    try {
      const { props } = await open(req, res, true);
      await deps.federation.begin(res, props.uid, String(req.params.cp));
    } catch (err) {
      next(err);
    }
  });

  router.post('/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const { props } = await open(req, res, true);
      const { identifier, password } = bodyOf(loginBody, req);
      // Home-realm discovery is a rule, not a hint: an account in a claims provider's domain signs
      // in there (its sign-in there, and the partner's checks, cannot be skipped with a password here).
      const owner = ownerOf(identifier);
      if (owner)
        return res.status(403).send(
          passwordPage({
            ...props,
            identifier,
            error: `This account signs in with ${owner.provider.displayName}.`,
          }),
        );
      const failures = `fed-pwfail:${identifier.toLowerCase()}`;
      if ((await deps.ephemeral.getCount(failures)) >= MAX_FAILURES) {
        res.set('Retry-After', String(FAILURE_WINDOW_MS / 1000));
        return res
          .status(429)
          .send(passwordPage({ ...props, identifier, error: 'Too many attempts. Try again later.' }));
      }
      const user = await deps.directory.authenticate(identifier, password);
      if (!user) {
        await deps.ephemeral.increment(failures, FAILURE_WINDOW_MS);
        return res.status(401).send(passwordPage({ ...props, identifier, error: WRONG }));
      }
      await deps.ephemeral.delete(failures);
      await oidc.completeFirstFactor(provider, req, res, { accountId: user.id, amr: ['pwd'] });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
