/**
 * Property-test generators: random valid policy documents, built as plain JSON-like inputs that go
 * through parsePolicyDocument, so the schema's defaults apply exactly as they do for a loaded file.
 */

import fc from 'fast-check';
import {
  AUTH_METHODS,
  CLIENT_APP_TYPES,
  RISK_SIGNALS,
  USER_ACTIONS,
  WEEKDAYS,
} from '../../../src/policy/index.ts';
import {
  APPS,
  CONTEXTS,
  cidrArb,
  GROUPS,
  type Json,
  LOCATION_REFS,
  type Obj,
  ROLES,
  STRENGTH_REFS,
  USERS,
  ZONES,
} from './addresses.ts';

// ---------------------------------------------------------------- documents

export const hhmm = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 30)) },
  { weight: 1, arbitrary: fc.constant([24, 0] as [number, number]) },
);
export const pad = (n: number) => String(n).padStart(2, '0');

export const windowArb = fc
  .record(
    {
      days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
      start: hhmm,
      end: hhmm,
      timeZone: fc.constantFrom(...ZONES),
    },
    { requiredKeys: ['start', 'end', 'timeZone'] },
  )
  .map((w): Obj => {
    const start = `${pad(w.start[0])}:${pad(w.start[1])}`;
    let end = `${pad(w.end[0])}:${pad(w.end[1])}`;
    if (end === start) end = start === '00:00' ? '24:00' : '00:00';
    return { ...(w.days ? { days: w.days } : {}), start, end, timeZone: w.timeZone };
  });

/** The value, or (absent : present odds) undefined. */
export const sometimes = <T>(arb: fc.Arbitrary<T>, present: number, absent: number) =>
  fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary: arb });

export const idsFrom = (pool: readonly string[], max = 3) =>
  fc.array(fc.constantFrom(...pool), { maxLength: max });
export const subjectsArb = (pool: readonly string[]) =>
  fc.record({ include: idsFrom(pool), exclude: idsFrom(pool, 2) }, { requiredKeys: [] });

export const conditionArbs = {
  locations: fc.record(
    {
      include: fc.array(fc.constantFrom(...LOCATION_REFS), { minLength: 1, maxLength: 3 }),
      exclude: idsFrom(
        LOCATION_REFS.filter((r) => r !== 'any'),
        2,
      ),
    },
    { requiredKeys: ['include'] },
  ),
  clientAppTypes: fc.subarray([...CLIENT_APP_TYPES], { minLength: 1 }),
  deviceState: fc.constantFrom('remembered', 'notRemembered'),
  risk: fc
    .record(
      { signals: fc.subarray([...RISK_SIGNALS]), failureVelocityAtLeast: fc.integer({ min: 1, max: 6 }) },
      { requiredKeys: [] },
    )
    .map((r): Obj => (r.signals?.length || r.failureVelocityAtLeast ? r : { failureVelocityAtLeast: 3 })),
  // both lists empty is fixed when the policy is built (the condition is then left out)
  times: fc.record({
    include: fc.array(windowArb, { maxLength: 2 }),
    exclude: fc.array(windowArb, { maxLength: 2 }),
  }),
};
export interface RawConditions {
  locations?: { include: string[]; exclude?: string[] };
  clientAppTypes?: string[];
  deviceState?: string;
  risk?: Obj;
  times?: { include: Obj[]; exclude: Obj[] };
}
/** Mostly none or one condition (so policies match often enough to be interesting), sometimes several. */
export const conditionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  {
    weight: 5,
    arbitrary: fc.oneof(
      ...Object.entries(conditionArbs).map(([key, arb]) =>
        (arb as fc.Arbitrary<unknown>).map((v) => ({ [key]: v })),
      ),
    ),
  },
  { weight: 2, arbitrary: fc.record(conditionArbs, { requiredKeys: [] }) },
) as fc.Arbitrary<RawConditions>;

export const controlArb = fc.oneof(
  fc.constant('mfa' as Json),
  fc.constantFrom(...STRENGTH_REFS).map((s): Json => ({ authenticationStrength: s })),
);
export const grantArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ block: true } as Obj) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        operator: fc.constantFrom('requireAll', 'requireOne'),
        controls: fc.array(controlArb, { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: ['controls'] },
    ),
  },
);
export const sessionArb = fc.record(
  {
    signInFrequencyHours: fc.constantFrom(0.5, 1, 4, 8, 12, 24),
    rememberDevice: fc.boolean(),
    rememberDeviceMaxDays: fc.integer({ min: 1, max: 90 }),
  },
  { requiredKeys: [] },
);

export const policyArb = fc.record({
  state: fc.constantFrom('on', 'off', 'reportOnly'),
  // The target: applications (mostly), or user actions (then no contexts and no session controls).
  target: fc.oneof(
    { weight: 4, arbitrary: fc.constant('applications' as const) },
    { weight: 1, arbitrary: fc.constant('userActions' as const) },
  ),
  users: fc.oneof(
    { weight: 2, arbitrary: fc.record({ include: fc.constant(['all']), exclude: idsFrom(USERS, 2) }) },
    { weight: 3, arbitrary: subjectsArb([...USERS, 'all']) },
  ),
  groups: sometimes(subjectsArb(GROUPS), 1, 2),
  roles: sometimes(subjectsArb(ROLES), 1, 2),
  applications: fc.record(
    {
      include: fc.oneof(
        fc.constant(['all']),
        fc.array(fc.constantFrom(...APPS, 'all'), { minLength: 1, maxLength: 3 }),
      ),
      exclude: idsFrom(APPS, 2),
    },
    { requiredKeys: ['include'] },
  ),
  // an empty list is valid and means "never applies"
  authenticationContexts: sometimes(idsFrom(CONTEXTS, 2), 1, 4),
  conditions: conditionsArb,
  grant: grantArb,
  session: sometimes(sessionArb, 1, 1),
});
export type RawPolicy = typeof policyArb extends fc.Arbitrary<infer T> ? T : never;

export const docArb = fc.record({
  locations: fc.array(
    fc.record({ trusted: fc.boolean(), cidrs: fc.array(cidrArb, { minLength: 1, maxLength: 4 }) }),
    { maxLength: 3 },
  ),
  strengths: fc.array(
    fc.array(fc.subarray([...AUTH_METHODS], { minLength: 1 }), { minLength: 1, maxLength: 3 }),
    { maxLength: 2 },
  ),
  policies: fc.array(policyArb, { maxLength: 15 }),
});
export type RawDoc = typeof docArb extends fc.Arbitrary<infer T> ? T : never;

/** The policy as document input, its references resolved against the document's locations and strengths. */
export function buildPolicy(p: RawPolicy, id: string, locations: number, strengths: number): Obj {
  const loc = (ref: string) =>
    ref.startsWith('L') ? (locations > 0 ? `loc${Number(ref[1]) % locations}` : null) : ref;
  const str = (ref: string) =>
    ref.startsWith('S') ? (strengths > 0 ? `custom${Number(ref[1]) % strengths}` : 'mfa') : ref;
  const users = { include: [...(p.users.include ?? [])], exclude: [...(p.users.exclude ?? [])] };
  const included = users.include.length + (p.groups?.include?.length ?? 0) + (p.roles?.include?.length ?? 0);
  if (included === 0) users.include.push('all');
  const conditions: Obj = {};
  const c = p.conditions ?? {};
  if (c.locations) {
    const include = c.locations.include.map(loc).filter((r): r is string => r !== null);
    const exclude = (c.locations.exclude ?? []).map(loc).filter((r): r is string => r !== null);
    conditions.locations = { include: include.length > 0 ? include : ['any'], exclude };
  }
  if (c.clientAppTypes) conditions.clientAppTypes = c.clientAppTypes;
  // A user-action policy takes no device state (the model refuses it).
  if (c.deviceState && p.target !== 'userActions') conditions.deviceState = c.deviceState;
  if (c.risk) conditions.risk = c.risk;
  if (c.times && c.times.include.length + c.times.exclude.length > 0) conditions.times = c.times;
  const forAction = p.target === 'userActions';
  const grant: Obj =
    'block' in p.grant
      ? { block: true }
      : {
          ...(p.grant.operator ? { operator: p.grant.operator } : {}),
          controls: (p.grant.controls as Json[]).map((ctl) =>
            ctl === 'mfa'
              ? 'mfa'
              : { authenticationStrength: str((ctl as Obj).authenticationStrength as string) },
          ),
        };
  return {
    id,
    name: `policy ${id}`,
    state: p.state,
    assignments: {
      users,
      ...(p.groups ? { groups: { include: p.groups.include ?? [], exclude: p.groups.exclude ?? [] } } : {}),
      ...(p.roles ? { roles: { include: p.roles.include ?? [], exclude: p.roles.exclude ?? [] } } : {}),
      ...(forAction
        ? { userActions: [...USER_ACTIONS] }
        : {
            applications: { include: [...p.applications.include], exclude: p.applications.exclude ?? [] },
            ...(p.authenticationContexts ? { authenticationContexts: p.authenticationContexts } : {}),
          }),
    },
    conditions,
    grant,
    ...(p.session && !forAction ? { session: p.session } : {}),
  };
}

export function buildDoc(raw: RawDoc): Obj {
  return {
    namedLocations: raw.locations.map((l, i) => ({ id: `loc${i}`, name: `Location ${i}`, ...l })),
    authenticationStrengths: raw.strengths.map((combinations, i) => ({
      id: `custom${i}`,
      name: `Custom ${i}`,
      combinations,
    })),
    policies: raw.policies.map((p, i) => buildPolicy(p, `p${i}`, raw.locations.length, raw.strengths.length)),
  };
}

export const policiesOf = (doc: Obj) => doc.policies as Obj[];
