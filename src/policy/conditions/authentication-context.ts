// The authentication-context condition: a policy for an authentication context (e.g. `c1`,
// "sensitive action") applies only when the request asks for that context.
import type { PolicyCondition } from './condition.ts';

export const authenticationContext: PolicyCondition = {
  name: 'authenticationContext',
  applies: (p) => p.contexts !== null,
  test: (p, { ctx }) => (ctx.authenticationContexts ?? []).some((c) => p.contexts?.has(c)),
  explain: (p, { ctx }, matched) => {
    const asked = (ctx.authenticationContexts ?? []).join(', ') || 'none';
    return `${matched ? 'requested' : 'not requested'}: policy targets ${[...(p.contexts ?? [])].join(', ')}; request asks for ${asked}`;
  },
};
