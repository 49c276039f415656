// A policy in the form the evaluators read: id lists turned into sets, location references
// into indexes of the document's named locations, the grant into a requirement. Built once
// per policy-set version; never mutated.
import type { Conditions, Policy, SessionControlsInput, UserAction } from './model.ts';
import type { GrantRequirement } from './strength.ts';

/** Users, groups, roles or applications of a policy: `all`, and the included and excluded ids. */
export interface SubjectSets {
  all: boolean;
  include: ReadonlySet<string>;
  exclude: ReadonlySet<string>;
}

export interface LocationRefs {
  any: boolean;
  trusted: boolean;
  ids: readonly number[];
}

export interface CompiledPolicy {
  index: number;
  policy: Policy;
  users: SubjectSets;
  groups: SubjectSets;
  roles: SubjectSets;
  /** The applications targeted; null for a user-action policy. */
  apps: SubjectSets | null;
  /** The user actions targeted; null for an application policy. */
  userActions: ReadonlySet<UserAction> | null;
  contexts: ReadonlySet<string> | null;
  locations: { include: LocationRefs; exclude: LocationRefs } | null;
  clientAppTypes: ReadonlySet<string> | null;
  conditions: Conditions;
  grant: { block: true } | GrantRequirement;
  session: SessionControlsInput;
}

const sets = (include: readonly string[], exclude: readonly string[]): SubjectSets => ({
  all: include.includes('all'),
  include: new Set(include),
  exclude: new Set(exclude),
});

export function compilePolicy(policy: Policy, index: number, locationIndex: ReadonlyMap<string, number>) {
  const a = policy.assignments;
  const refs = (ids: readonly string[]): LocationRefs => ({
    any: ids.includes('any'),
    trusted: ids.includes('trusted'),
    ids: ids.flatMap((id) => {
      const i = locationIndex.get(id);
      return i === undefined ? [] : [i];
    }),
  });
  const loc = policy.conditions.locations;
  const compiled: CompiledPolicy = {
    index,
    policy,
    users: sets(a.users.include, a.users.exclude),
    groups: { ...sets(a.groups.include, a.groups.exclude), all: false },
    roles: { ...sets(a.roles.include, a.roles.exclude), all: false },
    apps: a.applications ? sets(a.applications.include, a.applications.exclude) : null,
    userActions: a.userActions ? new Set(a.userActions) : null,
    contexts: a.authenticationContexts ? new Set(a.authenticationContexts) : null,
    locations: loc ? { include: refs(loc.include), exclude: refs(loc.exclude) } : null,
    clientAppTypes: policy.conditions.clientAppTypes ? new Set(policy.conditions.clientAppTypes) : null,
    conditions: policy.conditions,
    grant:
      'block' in policy.grant
        ? { block: true }
        : {
            source: policy.id,
            operator: policy.grant.operator,
            strengths: policy.grant.controls.map((c) => (c === 'mfa' ? 'mfa' : c.authenticationStrength)),
          },
    session: policy.session,
  };
  return compiled;
}
