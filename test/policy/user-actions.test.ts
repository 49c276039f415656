import assert from 'node:assert/strict';
import {
  BUILT_IN_STRENGTHS,
  compilePolicySet,
  evaluateRegistration,
  methodMask,
  naiveEvaluator,
  type PolicyContext,
  type PolicyDocument,
  type PolicyEvaluation,
  type PolicyIssue,
  PolicyLoadError,
  parsePolicyDocument,
  REGISTRATION_BLOCKED_MESSAGE,
  REGISTRATION_MFA_MESSAGE,
  unmetRequirements,
} from '../../src/policy/index.ts';

/**
 * The user action `registerSecurityInfo` as a conditional-access target (Entra's "user
 * actions"): a separate target from applications, validated as one, evaluated only for
 * requests of that action, and never part of "all" applications.
 */

type Obj = Record<string, unknown>;

const OFFICE_IP = '127.0.0.1';
const HOME_IP = '198.51.100.7';

const appPolicy = (over: Obj = {}): Obj => ({
  id: 'all-apps-mfa',
  name: 'MFA for every app',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  grant: { controls: ['mfa'] },
  ...over,
});

const registrationPolicy = (over: Obj = {}): Obj => ({
  id: 'register-from-office',
  name: 'Register security info only from the office network or with a Temporary Access Pass',
  state: 'on',
  assignments: { users: { include: ['all'] }, userActions: ['registerSecurityInfo'] },
  conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
  grant: { controls: ['mfa'] },
  ...over,
});

const office = {
  id: 'office',
  name: 'Office',
  trusted: true,
  cidrs: ['127.0.0.0/8', '::1'],
};

function issuesOf(value: unknown): PolicyIssue[] {
  try {
    parsePolicyDocument(value);
  } catch (err) {
    assert.ok(err instanceof PolicyLoadError, String(err));
    return err.issues;
  }
  assert.fail('the document was accepted');
}

function rejects(policy: Obj, path: string, message: RegExp) {
  const issues = issuesOf({ namedLocations: [office], policies: [policy] });
  const at = issues.filter((i) => i.path === path);
  assert.ok(
    at.some((i) => message.test(i.message)),
    `expected ${message} at ${path}; got ${JSON.stringify(issues)}`,
  );
}

const doc = (...policies: Obj[]): PolicyDocument =>
  parsePolicyDocument({ namedLocations: [office], policies });

const ctx = (over: Partial<PolicyContext> = {}): PolicyContext => ({
  userId: 'alice',
  app: 'portal',
  ip: HOME_IP,
  time: Date.UTC(2026, 11, 1, 9),
  ...over,
});

/** The compiled evaluator (fast and explain) and the naive one, which must agree. */
function evaluateAll(d: PolicyDocument, c: PolicyContext): PolicyEvaluation[] {
  const set = compilePolicySet(d);
  return [set.evaluate(c), set.evaluate(c, { explain: true }), naiveEvaluator(d)(c)];
}

describe('user actions: the model', () => {
  it('accepts userActions instead of applications, and keeps both targets apart in the output', () => {
    const [p] = doc(registrationPolicy()).policies;
    assert.deepEqual(p?.assignments.userActions, ['registerSecurityInfo']);
    assert.equal(p?.assignments.applications, undefined);
    const [a] = doc(appPolicy()).policies;
    assert.equal(a?.assignments.userActions, undefined);
  });

  it('refuses a policy that names both targets, or neither', () => {
    rejects(
      registrationPolicy({
        assignments: {
          users: { include: ['all'] },
          applications: { include: ['all'] },
          userActions: ['registerSecurityInfo'],
        },
      }),
      'policies.0.assignments.userActions',
      /either applications or userActions, not both/,
    );
    rejects(
      registrationPolicy({ assignments: { users: { include: ['all'] } } }),
      'policies.0.assignments.applications',
      /name the target: applications .* or userActions/,
    );
  });

  it('refuses an unknown or empty user action list', () => {
    rejects(
      registrationPolicy({ assignments: { users: { include: ['all'] }, userActions: ['resetPassword'] } }),
      'policies.0.assignments.userActions.0',
      /registerSecurityInfo/,
    );
    rejects(
      registrationPolicy({ assignments: { users: { include: ['all'] }, userActions: [] } }),
      'policies.0.assignments.userActions',
      /./,
    );
    rejects(
      registrationPolicy({
        assignments: { users: { include: ['all'] }, userActions: 'registerSecurityInfo' },
      }),
      'policies.0.assignments.userActions',
      /./,
    );
  });

  it('refuses session controls, authentication contexts and deviceState on a user-action policy', () => {
    rejects(
      registrationPolicy({ session: { signInFrequencyHours: 1 } }),
      'policies.0.session',
      /session controls do not apply to a user action/,
    );
    rejects(
      registrationPolicy({ session: { rememberDevice: false } }),
      'policies.0.session',
      /session controls do not apply/,
    );
    rejects(
      registrationPolicy({
        assignments: {
          users: { include: ['all'] },
          userActions: ['registerSecurityInfo'],
          authenticationContexts: ['c1'],
        },
      }),
      'policies.0.assignments.authenticationContexts',
      /go with applications, not with userActions/,
    );
    // a remembered device is a sign-in matter: registering is never evaluated with one
    for (const deviceState of ['remembered', 'notRemembered'])
      rejects(
        registrationPolicy({
          conditions: { locations: { include: ['any'], exclude: ['trusted'] }, deviceState },
        }),
        'policies.0.conditions.deviceState',
        /deviceState does not apply to a user action .*: remove it/,
      );
    // an empty session object is no session control
    assert.equal(doc(registrationPolicy({ session: {} })).policies.length, 1);
    // an application policy keeps its session controls and its device state
    assert.equal(doc(appPolicy({ session: { signInFrequencyHours: 1 } })).policies.length, 1);
    assert.equal(doc(appPolicy({ conditions: { deviceState: 'notRemembered' } })).policies.length, 1);
  });

  it('a Temporary Access Pass satisfies the built-in mfa strength alone, and nothing stronger', () => {
    const set = compilePolicySet(doc());
    const req = (strength: string) => [
      { source: 'p', operator: 'requireAll' as const, strengths: [strength] },
    ];
    const unmet = (methods: string[], strength: string) =>
      unmetRequirements(methods, req(strength), set.strengths).length;
    assert.equal(unmet(['temporaryAccessPass'], 'mfa'), 0);
    assert.equal(unmet(['temporaryAccessPass'], 'otpOrBetter'), 1);
    assert.equal(unmet(['temporaryAccessPass'], 'phishingResistant'), 1);
    assert.equal(unmet(['password'], 'mfa'), 1);
    const mfa = BUILT_IN_STRENGTHS.find((s) => s.id === 'mfa');
    assert.ok(mfa?.combinations.some((c) => c.length === 1 && c[0] === 'temporaryAccessPass'));
    // every method has its own bit, inside a 31-bit positive mask
    const all = methodMask(['temporaryAccessPass']);
    assert.ok(all > 0 && all < 2 ** 31);
    assert.equal(
      methodMask(['temporaryAccessPass']) & methodMask(['password', 'webauthn', 'federatedMfa']),
      0,
    );
  });
});

describe('user actions: evaluation', () => {
  it('an application policy, even for all apps, never applies to a user action', () => {
    const d = doc(
      appPolicy(),
      appPolicy({
        id: 'block-portal',
        grant: { block: true },
        assignments: { users: { include: ['all'] }, applications: { include: ['portal'] } },
      }),
    );
    for (const e of evaluateAll(d, ctx({ userAction: 'registerSecurityInfo' }))) {
      assert.equal(e.action, 'allow');
      assert.deepEqual(e.requirements, []);
    }
    const [, explained] = evaluateAll(d, ctx({ userAction: 'registerSecurityInfo' }));
    const result = explained?.results.find((r) => r.policyId === 'all-apps-mfa');
    assert.equal(result?.failedCondition, 'applications');
    assert.match(
      result?.conditions?.find((c) => c.condition === 'applications')?.detail ?? '',
      /applies to applications, not to the user action registerSecurityInfo/,
    );
    // the same policies decide the sign-in
    for (const e of evaluateAll(d, ctx())) assert.equal(e.action, 'block');
  });

  it('a user-action policy never applies to a sign-in, and is not even a candidate for one', () => {
    const d = doc(registrationPolicy({ conditions: {}, grant: { block: true } }));
    for (const e of evaluateAll(d, ctx())) assert.equal(e.action, 'allow');
    const fast = compilePolicySet(d).evaluate(ctx());
    assert.deepEqual(fast.results, [], 'the index does not offer it to an app request');
    assert.equal(fast.notEvaluated, 1);
    const explained = compilePolicySet(d).evaluate(ctx(), { explain: true });
    const r = explained.results[0];
    assert.equal(r?.failedCondition, 'userActions');
    assert.match(
      r?.conditions?.find((c) => c.condition === 'userActions')?.detail ?? '',
      /applies to the user action registerSecurityInfo, not to a sign-in to app "portal"/,
    );
    for (const e of evaluateAll(d, ctx({ userAction: 'registerSecurityInfo' }))) {
      assert.equal(e.action, 'block');
      assert.deepEqual(e.blockedBy, ['register-from-office']);
    }
  });

  it('users, groups and conditions apply to a user-action policy as usual', () => {
    const d = doc(
      registrationPolicy({
        assignments: {
          users: { include: [], exclude: ['breakglass'] },
          groups: { include: ['staff'] },
          userActions: ['registerSecurityInfo'],
        },
      }),
    );
    const register = (over: Partial<PolicyContext>) =>
      evaluateAll(d, ctx({ userAction: 'registerSecurityInfo', groups: ['staff'], ...over }));
    for (const e of register({})) assert.equal(e.action, 'mfa', 'staff from home');
    for (const e of register({ ip: OFFICE_IP })) assert.equal(e.action, 'allow', 'staff in the office');
    for (const e of register({ ip: '::1' })) assert.equal(e.action, 'allow', 'IPv6 loopback is the office');
    for (const e of register({ groups: ['contractors'] })) assert.equal(e.action, 'allow', 'not staff');
    for (const e of register({ userId: 'breakglass' })) assert.equal(e.action, 'allow', 'excluded');
    const explained = compilePolicySet(d).evaluate(
      ctx({ userAction: 'registerSecurityInfo', groups: ['staff'], ip: OFFICE_IP }),
      { explain: true },
    );
    assert.equal(explained.results[0]?.failedCondition, 'locations');
    assert.match(
      explained.results[0]?.conditions?.find((c) => c.condition === 'userActions')?.detail ?? '',
      /user action registerSecurityInfo is targeted/,
    );
  });

  it('the set is active for sign-ins only with application policies, for user actions only with user-action ones', () => {
    const only = compilePolicySet(doc(registrationPolicy()));
    assert.equal(only.active, false);
    assert.equal(only.userActionsActive, true);
    const apps = compilePolicySet(doc(appPolicy(), registrationPolicy({ state: 'off' })));
    assert.equal(apps.active, true);
    assert.equal(apps.userActionsActive, false);
    const both = compilePolicySet(
      doc(appPolicy({ state: 'reportOnly' }), registrationPolicy({ state: 'reportOnly' })),
    );
    assert.equal(both.active && both.userActionsActive, true);
  });

  it('report-only user-action policies are reported, not enforced', () => {
    const d = doc(registrationPolicy({ state: 'reportOnly' }));
    for (const e of evaluateAll(d, ctx({ userAction: 'registerSecurityInfo' }))) {
      assert.equal(e.action, 'allow');
      assert.deepEqual(
        e.reportOnly.map((r) => r.policyId),
        ['register-from-office'],
      );
    }
  });
});

describe('user actions: evaluateRegistration', () => {
  const set = compilePolicySet(doc(appPolicy(), registrationPolicy()));
  const facts = { userId: 'alice', ip: HOME_IP, time: Date.UTC(2026, 11, 1, 9) };

  it('from the office network: allowed with the password alone', () => {
    const r = evaluateRegistration(set, { ...facts, ip: OFFICE_IP }, { methods: ['password'] });
    assert.equal(r.action, 'allow');
    assert.deepEqual(r.requirements, []);
    assert.ok(r.reasons.some((x) => x.code === 'no_registration_policy'));
  });

  it('from elsewhere: the password alone needs mfa; a TAP or a second factor satisfies it', () => {
    const password = evaluateRegistration(set, facts, { methods: ['password'] });
    assert.equal(password.action, 'require');
    assert.deepEqual(password.unmet, [
      { source: 'register-from-office', operator: 'requireAll', strengths: ['mfa'] },
    ]);
    assert.equal(password.userMessage, REGISTRATION_MFA_MESSAGE);
    assert.ok(
      password.reasons.some(
        (x) => x.code === 'policy_requires' && /register-from-office requires mfa/.test(x.message),
      ),
    );
    // the app policy for all apps is not among them
    assert.ok(!password.requirements.some((x) => x.source === 'all-apps-mfa'));

    const tap = evaluateRegistration(set, facts, { methods: ['temporaryAccessPass'] });
    assert.equal(tap.action, 'allow');
    assert.deepEqual(tap.unmet, []);
    assert.deepEqual(tap.requirements, password.requirements);
    assert.ok(tap.reasons.some((x) => x.code === 'requirements_met'));

    assert.equal(evaluateRegistration(set, facts, { methods: ['password', 'totp'] }).action, 'allow');
    assert.equal(evaluateRegistration(set, facts).action, 'require', 'no methods: every requirement unmet');
  });

  it('a blocking user-action policy blocks, whatever the methods', () => {
    const blocking = compilePolicySet(doc(registrationPolicy({ grant: { block: true } })));
    const r = evaluateRegistration(blocking, facts, {
      methods: ['password', 'webauthn', 'temporaryAccessPass'],
    });
    assert.equal(r.action, 'block');
    assert.deepEqual(r.blockedBy, ['register-from-office']);
    assert.equal(r.userMessage, REGISTRATION_BLOCKED_MESSAGE);
  });

  it('a stronger strength names its own message, and a TAP does not satisfy it', () => {
    const strong = compilePolicySet(
      doc(registrationPolicy({ grant: { controls: [{ authenticationStrength: 'phishingResistant' }] } })),
    );
    const r = evaluateRegistration(strong, facts, { methods: ['temporaryAccessPass'] });
    assert.equal(r.action, 'require');
    assert.equal(r.userMessage, 'Your organisation requires a passkey or security key for this app.');
  });

  it('explain lists every policy, the app policies failing on their target', () => {
    const r = evaluateRegistration(set, facts, { explain: true });
    assert.deepEqual(
      r.policy.results.map((x) => [x.policyId, x.matched, x.failedCondition]),
      [
        ['all-apps-mfa', false, 'applications'],
        ['register-from-office', true, undefined],
      ],
    );
  });
});
