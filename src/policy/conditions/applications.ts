import type { PolicyCondition } from './condition.ts';

/** The application (client id / app name): included (or `all`) and not excluded. */
export const applications: PolicyCondition = {
  name: 'applications',
  applies: () => true,
  test: (p, { ctx }) => (p.apps.all || p.apps.include.has(ctx.app)) && !p.apps.exclude.has(ctx.app),
  explain: (p, { ctx }, matched) => {
    if (p.apps.exclude.has(ctx.app)) return `app "${ctx.app}" is excluded`;
    return matched ? `app "${ctx.app}" is included` : `app "${ctx.app}" is not included`;
  },
};
