import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AUTH_METHODS,
  BUILT_IN_STRENGTHS,
  CLIENT_APP_TYPES,
  compilePolicySet,
  naiveEvaluator,
  type PolicyContext,
  type PolicyDocument,
  type PolicyEvaluation,
  PolicyLoadError,
  parsePolicyDocument,
  parsePolicyText,
  RISK_SIGNALS,
  USER_ACTIONS,
  WEEKDAYS,
} from '../../src/policy/index.ts';
import { parseCidr } from '../../src/policy/ip.ts';

/**
 * Property tests over random valid documents and random contexts. Documents are built as
 * plain JSON-like inputs and go through parsePolicyDocument, so the schema's defaults apply
 * exactly as they do for a loaded file.
 */

// ---------------------------------------------------------------- pools

const USERS = ['u1', 'u2', 'u3', 'u4'];
const GROUPS = ['g1', 'g2', 'g3'];
const ROLES = ['r1', 'r2'];
const APPS = ['a1', 'a2', 'a3'];
const CONTEXTS = ['c1', 'c2'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
/** Location references: `Lk` resolves to the k-th named location (modulo how many there are). */
const LOCATION_REFS = ['any', 'trusted', 'L0', 'L1', 'L2'];
/** Strength references: `Sk` resolves to the k-th custom strength, or `mfa` when there is none. */
const STRENGTH_REFS = [...BUILT_IN_STRENGTHS.map((s) => s.id), 'S0', 'S1'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

// ---------------------------------------------------------------- CIDRs and addresses

const v4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
const v6Words = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
const v4Text = (b: Uint8Array) => [...b].join('.');
const v6Text = (w: readonly number[]) => w.map((x) => x.toString(16)).join(':');

const cidrArb: fc.Arbitrary<string> = fc.oneof(
  // from a small space, so locations often overlap or nest
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 7, max: 24 }))
      .map(([b, c, p]) => `10.${b}.${c}.0/${p}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 32, max: 64 }))
      .map(([x, p]) => `2001:db8:${x}::/${p}`),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(v4Bytes, fc.integer({ min: 0, max: 32 })).map(([b, p]) => `${v4Text(b)}/${p}`),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(v6Words, fc.integer({ min: 0, max: 128 })).map(([w, p]) => `${v6Text(w)}/${p}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(v4Bytes, fc.integer({ min: 96, max: 128 }))
      .map(([b, p]) => `::ffff:${v4Text(b)}/${p}`),
  },
  { weight: 1, arbitrary: v4Bytes.map(v4Text) },
  { weight: 1, arbitrary: v6Words.map(v6Text) },
);

type IpSpec =
  | { kind: 'inside'; pick: number; noise: Uint8Array; mapped: boolean }
  | { kind: 'v4'; bytes: Uint8Array }
  | { kind: 'v6'; words: number[] }
  | { kind: 'mapped'; bytes: Uint8Array }
  | { kind: 'invalid'; text: string };

const ipSpecArb: fc.Arbitrary<IpSpec> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('inside' as const),
      pick: fc.nat(),
      noise: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      mapped: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('v4' as const), bytes: v4Bytes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('v6' as const), words: v6Words }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mapped' as const), bytes: v4Bytes }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('invalid' as const),
      text: fc.oneof(
        fc.constantFrom(
          '',
          'not-an-ip',
          '1.2.3',
          '1.2.3.4.5',
          '256.1.1.1',
          '01.2.3.4',
          '::g',
          '10.0.0.1/8',
          ' 10.0.0.1',
        ),
        fc.string({ maxLength: 20 }),
      ),
    }),
  },
);

/** An address: for `inside`, one that lies in a CIDR of the document, host bits from the noise. */
function resolveIp(spec: IpSpec, doc: PolicyDocument): string {
  switch (spec.kind) {
    case 'v4':
      return v4Text(spec.bytes);
    case 'v6':
      return v6Text(spec.words);
    case 'mapped':
      return `::ffff:${v4Text(spec.bytes)}`;
    case 'invalid':
      return spec.text;
    case 'inside': {
      const all = doc.namedLocations.flatMap((l) => l.cidrs);
      const noise = spec.noise;
      if (all.length === 0) return v4Text(noise.subarray(0, 4));
      const { bytes, prefix } = parseCidr(all[spec.pick % all.length] as string);
      const out = Uint8Array.from(bytes);
      for (let bit = prefix; bit < out.length * 8; bit++) {
        const mask = 0x80 >> (bit & 7);
        const i = bit >> 3;
        out[i] = ((out[i] ?? 0) & ~mask) | ((noise[i] ?? 0) & mask);
      }
      if (out.length === 4) return spec.mapped ? `::ffff:${v4Text(out)}` : v4Text(out);
      const words = Array.from({ length: 8 }, (_, i) => ((out[2 * i] ?? 0) << 8) | (out[2 * i + 1] ?? 0));
      return v6Text(words);
    }
  }
}

// ---------------------------------------------------------------- documents

const hhmm = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 30)) },
  { weight: 1, arbitrary: fc.constant([24, 0] as [number, number]) },
);
const pad = (n: number) => String(n).padStart(2, '0');

const windowArb = fc
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
const sometimes = <T>(arb: fc.Arbitrary<T>, present: number, absent: number) =>
  fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary: arb });

const idsFrom = (pool: readonly string[], max = 3) => fc.array(fc.constantFrom(...pool), { maxLength: max });
const subjectsArb = (pool: readonly string[]) =>
  fc.record({ include: idsFrom(pool), exclude: idsFrom(pool, 2) }, { requiredKeys: [] });

const conditionArbs = {
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
interface RawConditions {
  locations?: { include: string[]; exclude?: string[] };
  clientAppTypes?: string[];
  deviceState?: string;
  risk?: Obj;
  times?: { include: Obj[]; exclude: Obj[] };
}
/** Mostly none or one condition (so policies match often enough to be interesting), sometimes several. */
const conditionsArb = fc.oneof(
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

const controlArb = fc.oneof(
  fc.constant('mfa' as Json),
  fc.constantFrom(...STRENGTH_REFS).map((s): Json => ({ authenticationStrength: s })),
);
const grantArb = fc.oneof(
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
const sessionArb = fc.record(
  {
    signInFrequencyHours: fc.constantFrom(0.5, 1, 4, 8, 12, 24),
    rememberDevice: fc.boolean(),
    rememberDeviceMaxDays: fc.integer({ min: 1, max: 90 }),
  },
  { requiredKeys: [] },
);

const policyArb = fc.record({
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
type RawPolicy = typeof policyArb extends fc.Arbitrary<infer T> ? T : never;

const docArb = fc.record({
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
type RawDoc = typeof docArb extends fc.Arbitrary<infer T> ? T : never;

/** The policy as document input, its references resolved against the document's locations and strengths. */
function buildPolicy(p: RawPolicy, id: string, locations: number, strengths: number): Obj {
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

function buildDoc(raw: RawDoc): Obj {
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

const policiesOf = (doc: Obj) => doc.policies as Obj[];

// ---------------------------------------------------------------- contexts

const ctxArb = fc.record({
  userId: fc.constantFrom(...USERS, 'u-other'),
  groups: sometimes(fc.subarray(GROUPS), 3, 1),
  roles: sometimes(fc.subarray(ROLES), 3, 1),
  app: fc.constantFrom(...APPS, 'a-other'),
  // Sometimes a user action (registering a method) instead of a sign-in to `app`.
  userAction: sometimes(fc.constantFrom(...USER_ACTIONS), 1, 3),
  authenticationContexts: sometimes(fc.subarray(CONTEXTS), 1, 1),
  ip: ipSpecArb,
  clientAppType: sometimes(fc.constantFrom(...CLIENT_APP_TYPES), 3, 1),
  deviceRemembered: sometimes(fc.boolean(), 3, 1),
  risk: sometimes(
    fc.record(
      {
        newDevice: fc.boolean(),
        newNetwork: fc.boolean(),
        fraudFlagged: fc.boolean(),
        recentFailures: fc.integer({ min: 0, max: 8 }),
      },
      { requiredKeys: [] },
    ),
    3,
    1,
  ),
  time: fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2027-12-31T23:59:59Z') }),
});
type RawCtx = typeof ctxArb extends fc.Arbitrary<infer T> ? T : never;

const resolveCtx = (c: RawCtx, doc: PolicyDocument): PolicyContext => ({ ...c, ip: resolveIp(c.ip, doc) });

// ---------------------------------------------------------------- comparing decisions

const decision = (e: PolicyEvaluation) => ({
  action: e.action,
  blockedBy: e.blockedBy,
  requirements: e.requirements,
  sessionControls: e.sessionControls,
});
const withReportOnly = (e: PolicyEvaluation) => ({
  ...decision(e),
  reportOnly: e.reportOnly.map((r) => r.policyId),
});
const RANK = { allow: 0, mfa: 1, block: 2 } as const;

const both = (doc: PolicyDocument, ctx: PolicyContext) => ({
  compiled: compilePolicySet(doc).evaluate(ctx),
  naive: naiveEvaluator(doc)(ctx),
});

const RUNS = { numRuns: 200 };
const scenario = fc.tuple(docArb, fc.array(ctxArb, { minLength: 1, maxLength: 4 }));

describe('policy properties', () => {
  it('every generated document is valid', () => {
    fc.assert(
      fc.property(docArb, (raw) => {
        parsePolicyDocument(buildDoc(raw));
      }),
      RUNS,
    );
  });

  it('a. the compiled evaluator agrees with the naive one (fast and explain mode)', () => {
    let matched = 0;
    let located = 0;
    let actionMatched = 0;
    fc.assert(
      fc.property(scenario, ([raw, ctxs]) => {
        const doc = parsePolicyDocument(buildDoc(raw));
        const set = compilePolicySet(doc);
        const naive = naiveEvaluator(doc);
        const live = doc.policies.filter((p) => p.state !== 'off').length;
        for (const c of ctxs) {
          const ctx = resolveCtx(c, doc);
          const n = naive(ctx);
          const f = set.evaluate(ctx);
          const x = set.evaluate(ctx, { explain: true });
          assert.deepEqual(withReportOnly(f), withReportOnly(n));
          assert.deepEqual(withReportOnly(x), withReportOnly(n));
          assert.deepEqual(f.reportOnly, n.reportOnly);
          // every policy the index evaluated gives the naive result; no matching policy is skipped
          for (const r of f.results)
            assert.deepEqual(
              r,
              n.results.find((m) => m.policyId === r.policyId),
            );
          for (const r of n.results.filter((m) => m.matched))
            assert.ok(
              f.results.some((m) => m.policyId === r.policyId),
              `${r.policyId} skipped by the index`,
            );
          assert.equal(f.results.length + f.notEvaluated, live);
          // explain mode: the same verdict per policy, plus every off policy
          assert.equal(x.results.length, doc.policies.length);
          for (const r of n.results) {
            const e = x.results.find((m) => m.policyId === r.policyId);
            assert.equal(e?.matched, r.matched);
            assert.equal(e?.failedCondition, r.failedCondition);
          }
          matched += n.results.filter((r) => r.matched).length;
          // a user-action policy matches only a request for its action, an app policy only a sign-in
          for (const r of n.results.filter((m) => m.matched)) {
            const p = doc.policies.find((q) => q.id === r.policyId);
            assert.equal(p?.assignments.userActions !== undefined, ctx.userAction !== undefined);
            if (ctx.userAction !== undefined) actionMatched++;
          }
          // the index never offers a policy of the other target
          for (const r of f.results) {
            const p = doc.policies.find((q) => q.id === r.policyId);
            assert.equal(p?.assignments.userActions !== undefined, ctx.userAction !== undefined);
          }
          if (
            n.results.some(
              (r) => r.matched && doc.policies.find((p) => p.id === r.policyId)?.conditions.locations,
            )
          )
            located++;
        }
      }),
      { numRuns: 300 },
    );
    assert.ok(matched > 100, `the generator should make policies match (${matched})`);
    assert.ok(located > 10, `the generator should make location conditions match (${located})`);
    assert.ok(
      actionMatched > 10,
      `user-action policies should match user-action requests (${actionMatched})`,
    );
  });

  it('b. adding an off or reportOnly policy never changes the decision', () => {
    fc.assert(
      fc.property(
        scenario,
        policyArb,
        fc.constantFrom('off', 'reportOnly'),
        fc.nat(),
        ([raw, ctxs], extraRaw, state, at) => {
          const input = buildDoc(raw);
          const doc = parsePolicyDocument(input);
          const extra = {
            ...buildPolicy(extraRaw, 'extra', raw.locations.length, raw.strengths.length),
            state,
          };
          const policies = [...policiesOf(input)];
          policies.splice(at % (policies.length + 1), 0, extra);
          const more = parsePolicyDocument({ ...input, policies });
          for (const c of ctxs) {
            const ctx = resolveCtx(c, doc);
            const before = both(doc, ctx);
            const after = both(more, ctx);
            assert.deepEqual(decision(after.compiled), decision(before.compiled));
            assert.deepEqual(decision(after.naive), decision(before.naive));
            if (state === 'off') assert.ok(!after.compiled.reportOnly.some((r) => r.policyId === 'extra'));
          }
        },
      ),
      RUNS,
    );
  });

  it('c. excluding the user from a policy never makes the decision stricter for that user', () => {
    let changed = 0;
    fc.assert(
      fc.property(scenario, fc.nat(), ([raw, ctxs], pick) => {
        fc.pre(raw.policies.length > 0);
        const input = buildDoc(raw);
        const doc = parsePolicyDocument(input);
        for (const c of ctxs) {
          const ctx = resolveCtx(c, doc);
          const i = pick % raw.policies.length;
          const policies = structuredClone(policiesOf(input));
          const target = policies[i] as Obj;
          const users = (target.assignments as Obj).users as { include: string[]; exclude: string[] };
          users.exclude.push(ctx.userId);
          const excluded = parsePolicyDocument({ ...input, policies });
          const before = both(doc, ctx);
          const after = both(excluded, ctx);
          for (const kind of ['compiled', 'naive'] as const) {
            const b = before[kind];
            const a = after[kind];
            assert.ok(RANK[a.action] <= RANK[b.action], `${kind}: ${b.action} → ${a.action}`);
            const sources = new Set(b.requirements.map((r) => r.source));
            for (const r of a.requirements)
              assert.ok(sources.has(r.source), `${kind}: new requirement ${r.source}`);
            for (const id of a.blockedBy)
              assert.ok(b.blockedBy.includes(id), `${kind}: newly blocked by ${id}`);
            const id = target.id as string;
            assert.ok(!a.blockedBy.includes(id) && !a.requirements.some((r) => r.source === id));
            assert.ok(!a.reportOnly.some((r) => r.policyId === id));
            if (a.action !== b.action) changed++;
          }
        }
      }),
      RUNS,
    );
    assert.ok(changed > 0, 'some exclusion should have relaxed a decision');
  });

  it('d. a matching reportOnly policy is reported, and enforced when it is switched on', () => {
    let reported = 0;
    fc.assert(
      fc.property(scenario, fc.nat(), ([raw, ctxs], pick) => {
        fc.pre(raw.policies.length > 0);
        const input = buildDoc(raw);
        const i = pick % raw.policies.length;
        const withState = (state: string) => {
          const policies = structuredClone(policiesOf(input));
          (policies[i] as Obj).state = state;
          return parsePolicyDocument({ ...input, policies });
        };
        const ro = withState('reportOnly');
        const on = withState('on');
        const id = `p${i}`;
        for (const c of ctxs) {
          const ctx = resolveCtx(c, ro);
          const asReportOnly = both(ro, ctx);
          const asOn = both(on, ctx);
          for (const kind of ['compiled', 'naive'] as const) {
            const r = asReportOnly[kind];
            const o = asOn[kind];
            const entry = r.reportOnly.find((x) => x.policyId === id);
            const enforced = o.blockedBy.includes(id) || o.requirements.some((x) => x.source === id);
            assert.equal(entry !== undefined, enforced, `${kind}: reported iff enforced when on`);
            assert.equal(
              o.results.find((x) => x.policyId === id)?.enforced ?? false,
              enforced,
              `${kind}: the on result says enforced`,
            );
            assert.ok(!r.blockedBy.includes(id) && !r.requirements.some((x) => x.source === id));
            if (entry) {
              assert.equal(entry.matched, true);
              assert.equal(entry.enforced, false);
              const policy = on.policies[i];
              assert.equal(entry.grant === 'block', policy !== undefined && 'block' in policy.grant);
              if (entry.grant !== 'block')
                assert.deepEqual(
                  entry.grant,
                  o.requirements.find((x) => x.source === id),
                );
              reported++;
            }
          }
        }
      }),
      RUNS,
    );
    assert.ok(reported > 20, `report-only policies should match sometimes (${reported})`);
  });

  describe('e. parsing junk throws nothing but PolicyLoadError', () => {
    const onlyLoadErrors = (parse: () => unknown) => {
      try {
        parse();
      } catch (err) {
        if (!(err instanceof PolicyLoadError)) throw err;
        assert.ok(err.issues.length > 0);
        for (const issue of err.issues) {
          assert.equal(typeof issue.path, 'string');
          assert.ok(issue.path.length > 0);
          assert.equal(typeof issue.message, 'string');
          assert.ok(issue.message.length > 0);
        }
      }
    };

    it('anything at all', () => {
      const junk = fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
        withUnicodeString: true,
      });
      fc.assert(
        fc.property(junk, (value) => onlyLoadErrors(() => parsePolicyDocument(value))),
        { numRuns: 500 },
      );
      fc.assert(
        fc.property(
          fc.dictionary(fc.constantFrom('namedLocations', 'authenticationStrengths', 'policies'), junk),
          (v) => onlyLoadErrors(() => parsePolicyDocument(v)),
        ),
        { numRuns: 300 },
      );
    });

    const WRONG: Json[] = [
      null,
      0,
      -1,
      1.5,
      1e9,
      '',
      'x',
      '10.0.0.0/33',
      true,
      false,
      [],
      {},
      [1],
      [''],
      { a: 1 },
    ];
    const wrongValue = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...WRONG) },
      { weight: 1, arbitrary: fc.anything() as fc.Arbitrary<Json> },
      { weight: 1, arbitrary: fc.constant(undefined as unknown as Json) },
    );

    /** Every path to a value in the document (object keys and array indexes). */
    function paths(value: Json, at: (string | number)[] = []): (string | number)[][] {
      const out: (string | number)[][] = [at];
      if (Array.isArray(value)) for (const [i, v] of value.entries()) out.push(...paths(v, [...at, i]));
      else if (value !== null && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
      return out;
    }

    function replaceAt(doc: Json, path: (string | number)[], value: Json | 'DELETE'): Json {
      if (path.length === 0) return value === 'DELETE' ? null : value;
      const copy = structuredClone(doc) as Obj;
      let parent: Json = copy;
      for (const key of path.slice(0, -1)) parent = (parent as Obj)[key as string] as Json;
      const last = path[path.length - 1] as string;
      if (value === 'DELETE') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete (parent as Obj)[last];
      } else (parent as Obj)[last] = value;
      return copy;
    }

    it('a valid document with one field replaced by a wrong type, or removed', () => {
      let rejected = 0;
      fc.assert(
        fc.property(
          docArb,
          fc.nat(),
          fc.oneof(wrongValue, fc.constant('DELETE' as const)),
          (raw, pick, value) => {
            const input = buildDoc(raw) as Json;
            const all = paths(input);
            const mutated = replaceAt(input, all[pick % all.length] ?? [], value);
            try {
              parsePolicyDocument(mutated);
            } catch (err) {
              if (!(err instanceof PolicyLoadError)) throw err;
              rejected++;
            }
            onlyLoadErrors(() => parsePolicyDocument(mutated));
            onlyLoadErrors(() => parsePolicyText(JSON.stringify(mutated) ?? 'null', 'json'));
          },
        ),
        { numRuns: 300 },
      );
      assert.ok(rejected > 50, `most mutations should be rejected (${rejected})`);
    });

    it('random JSON and YAML text', () => {
      // the YAML parser reports unknown tags and directives through process.emitWarning: keep the output clean
      const emitWarning = process.emitWarning;
      process.emitWarning = () => {};
      try {
        fc.assert(
          fc.property(fc.string({ maxLength: 200 }), (text) => {
            onlyLoadErrors(() => parsePolicyText(text, 'json'));
            onlyLoadErrors(() => parsePolicyText(text, 'yaml'));
          }),
          { numRuns: 300 },
        );
        fc.assert(
          fc.property(fc.json(), (text) => {
            onlyLoadErrors(() => parsePolicyText(text, 'json'));
            onlyLoadErrors(() => parsePolicyText(text, 'yaml'));
          }),
          { numRuns: 300 },
        );
      } finally {
        process.emitWarning = emitWarning;
      }
    });
  });
});
