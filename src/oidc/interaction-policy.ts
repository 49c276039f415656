// oidc-provider's interaction policy with mfakit's step: `login` also requires a sign-in that
// went through mfakit and was not revoked since, and an `mfa` prompt after it asks for a
// step-up when the session lacks what this request needs (the acr asked for, conditional
// access, a trusted network it no longer comes from). `mfaInteractionPolicy` lists every check.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Mfa } from '../engine/create-mfa.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { requestedAcr } from './acr.ts';
import { guarded } from './provider-outage.ts';
import {
  acrUnmet,
  enrollmentNeedsSignIn,
  firstFactorStale,
  policyUnmet,
  type RequestFacts,
} from './session-checks.ts';
import type { SessionStamps } from './session-stamps.ts';

const { Check, Prompt, base } = interactionPolicy;

/** A check of mfakit's: a store it cannot read answers 503 (provider-outage.ts), not 500. */
const check = (reason: string, description: string, fn: (ctx: KoaContextWithOIDC) => Promise<boolean>) =>
  new Check(reason, description, guarded(fn));

/** The prompt mfakit adds after oidc-provider's `login`. */
export const MFA_PROMPT = 'mfa';

/** What a finished interaction carries besides `login`: the one-time reference to its stamp. */
export interface MfakitInteractionResult {
  mfakit?: { stampRef?: string };
}

export interface InteractionPolicyDeps {
  mfa: Mfa;
  stamps: SessionStamps;
  /** The conditional-access application of a client id. */
  appOf: (clientId: string) => string;
  /** The acr a client always needs, whatever it asks for (see `OidcMfaOptions.requiredAcrOf`). */
  requiredAcrOf?: ((clientId: string) => string | undefined) | undefined;
}

/**
 * The session's stamp for this request, read once per request however many checks ask. Right
 * after a resumed interaction (`ctx.oidc.result`) the stamp it handed off is bound to the session.
 */
function stampReader(deps: InteractionPolicyDeps) {
  const cache = new WeakMap<object, Promise<AuthStamp | null>>();
  const read = async (ctx: KoaContextWithOIDC): Promise<AuthStamp | null> => {
    const session = ctx.oidc.session;
    const accountId = session?.accountId;
    if (!session || !accountId) return null;
    const result = ctx.oidc.result as MfakitInteractionResult | undefined;
    const ref = result?.mfakit?.stampRef;
    if (typeof ref === 'string') {
      const claimed = await deps.stamps.claim(ref, session.uid, accountId);
      if (claimed) return claimed;
    }
    return deps.stamps.get(session.uid, accountId);
  };
  return (ctx: KoaContextWithOIDC) => {
    let found = cache.get(ctx);
    if (!found) {
      found = read(ctx);
      cache.set(ctx, found);
    }
    return found;
  };
}

/**
 * oidc-provider's interaction policy with mfakit's step. `login` additionally requires a sign-in
 * that went through mfakit and was not revoked since (admin reset, revokeSessions), and a new
 * one when a step-up would have to register the user's first method on an old sign-in; the `mfa`
 * prompt, after login, is requested when
 *   - the client asks (`acr_values`, or an essential `acr` claim), or always needs
 *     (`requiredAcrOf`), a level the session has not reached — a step-up; the level is
 *     mfakit's to grant, so oidc-provider's own essential-acr checks (which would ask for a new
 *     login) are replaced by this one;
 *   - conditional access, evaluated for this client id as the application, is not satisfied by
 *     the session (stronger method, sign-in frequency, remembered device not allowed here);
 *   - the sign-in skipped MFA on a trusted network and this request comes from elsewhere.
 * `max_age` and `prompt=login` stay oidc-provider's: they ask for a new login, and every login
 * goes through mfakit's decision again.
 */
export function mfaInteractionPolicy(deps: InteractionPolicyDeps) {
  const { mfa } = deps;
  const stampOf = stampReader(deps);
  const policy = base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider interaction policy has no login prompt');
  login.checks.remove('essential_acr');
  login.checks.remove('essential_acrs');
  const acrOf = (ctx: KoaContextWithOIDC) => {
    const clientId = ctx.oidc.client?.clientId;
    return requestedAcr(ctx.oidc.params ?? {}, clientId ? deps.requiredAcrOf?.(clientId) : undefined);
  };
  const factsOf = (ctx: KoaContextWithOIDC): RequestFacts | null => {
    const client = ctx.oidc.client;
    if (!client) return null;
    return { app: deps.appOf(client.clientId), ip: mfa.clientIp(ctx.req), acr: acrOf(ctx) };
  };
  login.checks.add(
    check('mfakit_signin', 'End-User must sign in (again)', async (ctx) => {
      if (!ctx.oidc.session?.accountId) return Check.NO_NEED_TO_PROMPT;
      const stamp = await stampOf(ctx);
      if (stamp === null) return Check.REQUEST_PROMPT;
      if (!(await mfa.isCurrent(stamp))) return Check.REQUEST_PROMPT;
      const facts = factsOf(ctx);
      if (facts === null) return Check.NO_NEED_TO_PROMPT;
      return (await firstFactorStale(mfa, stamp, facts)) || (await enrollmentNeedsSignIn(mfa, stamp, facts))
        ? Check.REQUEST_PROMPT
        : Check.NO_NEED_TO_PROMPT;
    }),
  );

  const prompt = new Prompt(
    { name: MFA_PROMPT, requestable: false },
    (ctx) => ({ requestedAcr: acrOf(ctx).minimum }),
    check('mfakit_acr', 'the requested authentication level was not reached', async (ctx) => {
      const stamp = await stampOf(ctx);
      const facts = factsOf(ctx);
      if (stamp === null || facts === null) return Check.NO_NEED_TO_PROMPT;
      return acrUnmet(stamp, facts) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
    check('mfakit_policy', 'a second factor is required for this application', async (ctx) => {
      const stamp = await stampOf(ctx);
      const facts = factsOf(ctx);
      if (stamp === null || facts === null) return Check.NO_NEED_TO_PROMPT;
      return (await policyUnmet(mfa, stamp, facts)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  const consentAt = policy.findIndex((p) => p.name === 'consent');
  policy.add(prompt, consentAt === -1 ? policy.length : consentAt);
  return policy;
}
