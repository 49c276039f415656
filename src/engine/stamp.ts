// What a completed sign-in leaves in the session, and how its assurance is computed. The stamp
// says who, how (RFC 8176 `amr`, and the method names authentication strengths use), at what
// level (`acr`), when (per method), and the facts conditional access needs to re-check the
// session on each request (application, client type, groups and roles at sign-in, risk
// signals). It is versioned: integrations store it and read it back through `parseStamp()`
// (parse-stamp.ts), which upgrades older shapes once, so everything past that boundary reads
// required fields. Only the engine creates one.
import { type AuthMethod, BUILT_IN_STRENGTHS, type ClientAppType, type RiskFacts } from '../policy/model.ts';
import { compileStrength, methodMask, satisfiesStrength } from '../policy/strength.ts';

/** The shape the engine writes now; `parseStamp()` upgrades older ones to it. */
export const STAMP_VERSION = 1;

/** What every stamp carries. */
export interface AuthStampFacts {
  version: typeof STAMP_VERSION;
  userId: string;
  amr: string[];
  acr: string;
  /** The first factor's own amr (e.g. ['pwd'], or an upstream IdP's), without what the second factor added. */
  firstFactorAmr: string[];
  /** When the sign-in completed (ms). */
  authTime: number;
  /** When a second factor was last actually verified in this session (ms), or null if none was. */
  mfaAt: number | null;
  /** Methods used in this session (e.g. ['password', 'totp']); step-up adds to them. */
  methods: AuthMethod[];
  /** When each second-factor method was last verified in this session (ms): sign-in frequency is per method. */
  verifiedAt: Partial<Record<AuthMethod, number>>;
  /** The application the sign-in was for; null for a stamp from before applications were recorded. */
  app: string | null;
  /** The kind of client that signed in (browser, mobile/desktop app, legacy protocol). */
  clientAppType: ClientAppType;
  groups: string[];
  roles: string[];
  risk: RiskFacts;
  /**
   * The passkey (method id) that was the first factor without counting as multi-factor on its
   * own (`passwordless.countsAsMultiFactor: false`, or no user verification): like at sign-in,
   * it is never this session's second factor, so a step-up does not accept it. Absent otherwise,
   * and in stamps written before it was recorded: when such a stamp's `firstFactorAmr` shows a
   * one-factor passkey sign-in, no passkey of the user's is its second factor (auth-methods.ts).
   */
  firstFactorMethodId?: string;
  /**
   * This session's own random id (url-safe, 128 bits), drawn when the sign-in completed and kept
   * by every step-up of it: the session's step-up challenges and codes are bound to it, so two
   * sessions of one user that completed in the same millisecond never answer each other's. Not a
   * secret, and not shown to clients. Absent from stamps written before it was recorded: those
   * are bound by their user and sign-in time, as before.
   */
  sessionId?: string;
}

/** Nothing was skipped: every factor the sign-in needed was verified (or the first factor was enough). */
export interface VerifiedStamp extends AuthStampFacts {
  skippedBy?: undefined;
}

/** MFA was lifted: disabled for the user, or the sign-in came from a trusted network. */
export interface SkippedStamp extends AuthStampFacts {
  skippedBy: 'user_disabled' | 'trusted_network';
}

/** A remembered device stood in for the second factor; revoking that device ends the session. */
export interface RememberedDeviceStamp extends AuthStampFacts {
  skippedBy: 'remembered_device';
  /** The device that admitted the sign-in. */
  rememberedDeviceId: string;
  /** When that device was remembered (its MFA was done then). */
  rememberedDeviceAt: number;
}

export type AuthStamp = VerifiedStamp | SkippedStamp | RememberedDeviceStamp;

/**
 * A stamp's facts without what it records of a skip: every other field as it is, so a stamp
 * built from it (a step-up's) drops nothing it does not mean to, now or when a field is added.
 */
export function factsOf(stamp: AuthStamp): AuthStampFacts {
  const { skippedBy: _skippedBy, ...rest } = stamp;
  const {
    rememberedDeviceId: _deviceId,
    rememberedDeviceAt: _deviceAt,
    ...facts
  } = rest as AuthStampFacts &
    Partial<Pick<RememberedDeviceStamp, 'rememberedDeviceId' | 'rememberedDeviceAt'>>;
  return facts;
}

/** What a stamp records of a skip (null: nothing was skipped). */
export type StampSkip =
  | Pick<SkippedStamp, 'skippedBy'>
  | Pick<RememberedDeviceStamp, 'skippedBy' | 'rememberedDeviceId' | 'rememberedDeviceAt'>;

export const ACR_PASSWORD = 'urn:mfakit:acr:pwd';
export const ACR_MFA = 'urn:mfakit:acr:mfa';
export const ACR_PHISHING_RESISTANT = 'urn:mfakit:acr:phr';

const builtIn = (id: string) =>
  compileStrength(
    BUILT_IN_STRENGTHS.find((s) => s.id === id) ?? { id: 'none', name: 'none', combinations: [] },
  );
const PHISHING_RESISTANT = builtIn('phishingResistant');
const MULTI_FACTOR = builtIn('mfa');

/**
 * The assurance level a sign-in reached, from what was really verified: phishing-resistant
 * when its methods meet the built-in `phishingResistant` strength, MFA when two distinct
 * factors were used (`amr` has `mfa`) or its methods meet the built-in `mfa` strength (a
 * Temporary Access Pass), password otherwise. A skipped factor never counts.
 */
export function acrFor(methods: readonly AuthMethod[], amr: readonly string[]): string {
  const mask = methodMask(methods);
  if (satisfiesStrength(mask, PHISHING_RESISTANT)) return ACR_PHISHING_RESISTANT;
  return amr.includes('mfa') || satisfiesStrength(mask, MULTI_FACTOR) ? ACR_MFA : ACR_PASSWORD;
}

/** Union of first- and second-factor amr values, plus `mfa` when two distinct factors were used. */
export function combineAmr(first: readonly string[], second: readonly string[]): string[] {
  const all = [...new Set([...first, ...second])];
  if (first.length > 0 && second.length > 0) all.push('mfa');
  return all;
}

/** First-factor methods: the ones a step-up (a second factor) cannot renew. */
export const FIRST_FACTOR_METHODS: ReadonlySet<AuthMethod> = new Set([
  'password',
  'federatedMfa',
  'temporaryAccessPass',
  'appPassword',
]);

/**
 * The methods of a stamp verified at or after `since`. First factors count from the sign-in
 * (a password is never asked again by a step-up, so it does not expire here, while an upstream
 * IdP's MFA does); second factors from their own last verification.
 */
export function methodsVerifiedSince(stamp: AuthStamp, since: number): AuthMethod[] {
  return stamp.methods.filter((m) => {
    if (m === 'password') return true;
    if (FIRST_FACTOR_METHODS.has(m)) return stamp.authTime >= since;
    return (stamp.verifiedAt[m] ?? Number.NEGATIVE_INFINITY) >= since;
  });
}

/** amr values (RFC 8176) a second-factor method stands for, for methods carried over by a step-up. */
const AMR_OF_METHOD: Partial<Record<AuthMethod, string[]>> = {
  totp: ['otp'],
  hardwareOath: ['otp', 'hwk'],
};

/**
 * The session id a step-up merged into the session it raised carries: the previous one. The
 * merge is a step-up of that same session (the same provider session, the same user, not
 * revoked), so it keeps the id its challenges are bound to, as `stepUp` does; the fresh stamp's
 * id only names the interaction that verified the factor. A previous stamp written before ids
 * were recorded has none: the fresh one's stands, so the raised session gets its own from now.
 */
function sameSession(previous: AuthStamp, fresh: AuthStamp): Pick<AuthStampFacts, 'sessionId'> {
  const sessionId = previous.sessionId ?? fresh.sessionId;
  return sessionId === undefined ? {} : { sessionId };
}

/**
 * A step-up's result on top of the session it raised: the new sign-in's facts (app, groups,
 * risk, times), plus the previous session's second factors that `stillRegistered` accepts (a
 * method removed since must not count), each with its own verification time, so a factor
 * verified earlier still counts and its own sign-in frequency still applies. `amr` and `acr`
 * are recomputed from what is kept; the session keeps its id (`sameSession`); a stamp of another
 * user is never merged.
 */
export function mergeStepUp(
  previous: AuthStamp,
  fresh: AuthStamp,
  stillRegistered: (method: AuthMethod) => boolean,
): AuthStamp {
  if (previous.userId !== fresh.userId) return fresh;
  const freshMethods = fresh.methods;
  const kept = previous.methods.filter(
    (m) =>
      !FIRST_FACTOR_METHODS.has(m) && !freshMethods.includes(m) && AMR_OF_METHOD[m] && stillRegistered(m),
  );
  if (kept.length === 0) return { ...fresh, ...sameSession(previous, fresh) };
  const earlier: Partial<Record<AuthMethod, number>> = {};
  for (const m of kept) {
    const at = previous.verifiedAt[m];
    if (at !== undefined) earlier[m] = at;
  }
  const methods = [...freshMethods, ...kept];
  const values = [...new Set([...fresh.amr, ...kept.flatMap((m) => AMR_OF_METHOD[m] ?? [])])].filter(
    (a) => a !== 'mfa',
  );
  const amr = fresh.amr.includes('mfa') ? [...values, 'mfa'] : values;
  return {
    ...fresh,
    ...sameSession(previous, fresh),
    amr,
    methods,
    verifiedAt: { ...earlier, ...fresh.verifiedAt },
    acr: acrFor(methods, amr),
  };
}
