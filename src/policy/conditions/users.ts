// The users condition: users, groups and roles — included by any of them, and excluded by any
// of them; an exclusion always wins over an inclusion (a break-glass account stays out of every
// policy).
import type { CompiledPolicy, SubjectSets } from '../compiled-policy.ts';
import type { PolicyContext } from '../model.ts';
import type { PolicyCondition } from './condition.ts';

/** The first of `values` in `set`, or null. */
function hit(set: ReadonlySet<string>, values: readonly string[] | undefined): string | null {
  if (!values) return null;
  for (const v of values) if (set.has(v)) return v;
  return null;
}

function exclusion(p: CompiledPolicy, ctx: PolicyContext): string | null {
  if (p.users.exclude.has(ctx.userId)) return `user "${ctx.userId}"`;
  const g = hit(p.groups.exclude, ctx.groups);
  if (g !== null) return `group "${g}"`;
  const r = hit(p.roles.exclude, ctx.roles);
  return r === null ? null : `role "${r}"`;
}

function inclusion(p: CompiledPolicy, ctx: PolicyContext): string | null {
  if (p.users.all) return 'all users';
  if (p.users.include.has(ctx.userId)) return `user "${ctx.userId}"`;
  const g = hit(p.groups.include, ctx.groups);
  if (g !== null) return `group "${g}"`;
  const r = hit(p.roles.include, ctx.roles);
  return r === null ? null : `role "${r}"`;
}

export const users: PolicyCondition = {
  name: 'users',
  applies: () => true,
  test: (p, { ctx }) => inclusion(p, ctx) !== null && exclusion(p, ctx) === null,
  explain: (p, { ctx }) => {
    const out = exclusion(p, ctx);
    if (out !== null) return `excluded: ${out}`;
    const inc = inclusion(p, ctx);
    return inc === null ? `user "${ctx.userId}" is not included` : `included: ${inc}`;
  },
};

export type { SubjectSets };
