// Conditional-access policies as a service: the set in force, the document as saved (with its
// version, for compare-and-set editing), replacing it (validated, audited), and the
// per-request re-check of a signed-in session.
import type { PolicySet } from '../policy/compile.ts';
import type { PolicyDocumentRecord } from '../store/ports.ts';
import type { EngineContext } from './engine-context.ts';
import { checkSession, type SessionPolicyCheck, type SessionTarget } from './session-policy.ts';
import type { RequestContext } from './sign-in-types.ts';
import type { AuthStamp } from './stamp.ts';

export interface PolicyService {
  /** `static`: the document given in the options; `store`: the one saved in the repository. */
  readonly mode: 'static' | 'store';
  current(): Promise<PolicySet>;
  /** The document as last saved (version, time, who), or null when none was ever saved. */
  saved(): Promise<PolicyDocumentRecord | null>;
  /** Validates, saves (compare-and-set on `expectedVersion`), compiles and swaps in; audited. */
  replace(
    document: unknown,
    expectedVersion: number,
    ctx: RequestContext & { by?: string },
  ): Promise<PolicySet>;
  /**
   * Re-checks a signed-in session for one request (app, authentication context, address),
   * against the policy set in memory (loaded first when it is stale). `fresh`: what the app
   * requires must also be met by factors verified within `reauthMaxAgeSeconds` (a recent weak
   * factor beside an old strong one is refused, cause `fresh`); the recent real second factor
   * itself is `isFresh(stamp)`.
   */
  check(stamp: AuthStamp, target: SessionTarget, options?: { fresh?: boolean }): Promise<SessionPolicyCheck>;
  /** Whether a policy set is loaded and has any policy that is on or report-only (sync). */
  isActive(): boolean;
}

export function createPolicyService(engine: EngineContext): PolicyService {
  const { policies, clock, audit, repository, options: settings } = engine;
  return {
    mode: policies.mode,
    current: () => policies.current(),
    saved: () => repository.getPolicyDocument(),
    async replace(document, expectedVersion, ctx) {
      const set = await policies.replace(document, expectedVersion, ctx.by ?? null);
      await audit(null, ctx, {
        type: 'policies_changed',
        detail: ctx.by,
        data: { version: set.version, policies: set.document.policies.length },
      });
      return set;
    },
    async check(stamp, target, options = {}) {
      const set = policies.peek() ?? (await policies.current());
      const now = clock.now();
      const freshSince = options.fresh === true ? now - settings.reauthMaxAgeSeconds * 1000 : undefined;
      return checkSession(set, stamp, target, now, freshSince);
    },
    isActive: () => policies.peek()?.active ?? policies.mode === 'store',
  };
}
