// The applications condition: the application (client id / app name) is included (or `all`)
// and not excluded. An application policy never applies to a user action (registering a method
// is not a sign-in to an app, whatever app the request came from), as in Entra, where "All
// cloud apps" leaves them out.
import type { PolicyCondition } from './condition.ts';

export const applications: PolicyCondition = {
  name: 'applications',
  applies: (p) => p.apps !== null,
  test: (p, { ctx }) =>
    p.apps !== null &&
    ctx.userAction === undefined &&
    (p.apps.all || p.apps.include.has(ctx.app)) &&
    !p.apps.exclude.has(ctx.app),
  explain: (p, { ctx }, matched) => {
    if (ctx.userAction !== undefined)
      return `applies to applications, not to the user action ${ctx.userAction}`;
    if (p.apps?.exclude.has(ctx.app)) return `app "${ctx.app}" is excluded`;
    return matched ? `app "${ctx.app}" is included` : `app "${ctx.app}" is not included`;
  },
};
