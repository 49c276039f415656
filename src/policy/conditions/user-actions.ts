// The user-actions condition: a user-action policy (Entra's "user actions", e.g. registering
// security info) applies only to a request for one of its actions, never to a sign-in to an
// application.
import type { PolicyCondition } from './condition.ts';

export const userActions: PolicyCondition = {
  name: 'userActions',
  applies: (p) => p.userActions !== null,
  test: (p, { ctx }) => ctx.userAction !== undefined && p.userActions?.has(ctx.userAction) === true,
  explain: (p, { ctx }, matched) => {
    const targets = [...(p.userActions ?? [])].join(', ');
    if (ctx.userAction === undefined)
      return `applies to the user action ${targets}, not to a sign-in to app "${ctx.app}"`;
    return matched
      ? `user action ${ctx.userAction} is targeted`
      : `user action ${ctx.userAction} not targeted (policy targets ${targets})`;
  },
};
