import { type AuthMethod, BUILT_IN_STRENGTHS, type ClientAppType, type RiskFacts } from '../policy/model.ts';
import { compileStrength, methodMask, satisfiesStrength } from '../policy/strength.ts';

/**
 * What a completed sign-in leaves in the session: who, how (RFC 8176 `amr`, and the method
 * names authentication strengths use), at what level (`acr`), when, and the facts
 * conditional access needs to re-check this session on each request (groups and roles at
 * sign-in, the sign-in's risk signals). Integrations store it and read it back; only the
 * engine creates it.
 */
export interface AuthStamp {
  userId: string;
  amr: string[];
  acr: string;
  /** The first factor's own amr (e.g. ['pwd'], or an upstream IdP's), without what the second factor added. */
  firstFactorAmr?: string[];
  /** When the sign-in completed (ms). */
  authTime: number;
  /** When a second factor was last actually verified in this session (ms), or null if it was skipped. */
  mfaAt: number | null;
  skippedBy?: 'user_disabled' | 'trusted_network' | 'remembered_device';
  /** Methods used in this session (e.g. ['password', 'totp']); step-up adds to them. */
  methods?: AuthMethod[];
  /** When each second-factor method was last verified in this session (ms): sign-in frequency is per method. */
  verifiedAt?: Partial<Record<AuthMethod, number>>;
  /** The application the sign-in was for. */
  app?: string;
  /** The kind of client that signed in (browser, mobile/desktop app, legacy protocol). */
  clientAppType?: ClientAppType;
  groups?: string[];
  roles?: string[];
  risk?: RiskFacts;
  /** With skippedBy 'remembered_device': when that device was remembered. */
  rememberedDeviceAt?: number;
  /** With skippedBy 'remembered_device': the device that admitted the sign-in; revoking it ends the session. */
  rememberedDeviceId?: string;
}

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
]);

/**
 * The methods of a stamp verified at or after `since`. First factors count from the sign-in
 * (a password is never asked again by a step-up, so it does not expire here, while an upstream
 * IdP's MFA does); second factors from their own last verification.
 */
export function methodsVerifiedSince(stamp: AuthStamp, since: number): AuthMethod[] {
  return stampMethods(stamp).filter((m) => {
    if (m === 'password') return true;
    if (FIRST_FACTOR_METHODS.has(m)) return stamp.authTime >= since;
    // Per-method times when the stamp has them; a stamp from before them has only mfaAt.
    const at = stamp.verifiedAt ? stamp.verifiedAt[m] : stamp.mfaAt;
    return (at ?? Number.NEGATIVE_INFINITY) >= since;
  });
}

/**
 * The first factor's amr of a stamp, for a new decision on the same sign-in (an OIDC step-up):
 * never the combined amr, whose `mfa` would read as an upstream's MFA.
 */
export function firstFactorAmrOf(stamp: AuthStamp): string[] {
  if (stamp.firstFactorAmr) return [...stamp.firstFactorAmr];
  return stamp.amr.filter((a) => a === 'pwd' || a === 'fed' || a === 'tap');
}

/** The methods of a stamp; a stamp from before method tracking is read from its amr. */
export function stampMethods(stamp: AuthStamp): AuthMethod[] {
  if (stamp.methods) return stamp.methods;
  const out: AuthMethod[] = [];
  if (stamp.amr.includes('pwd') || stamp.amr.includes('fed')) out.push('password');
  if (stamp.amr.includes('hwk')) out.push('hardwareOath');
  else if (stamp.amr.includes('otp')) out.push('totp');
  return out;
}

/** amr values (RFC 8176) a second-factor method stands for, for methods carried over by a step-up. */
const AMR_OF_METHOD: Partial<Record<AuthMethod, string[]>> = {
  totp: ['otp'],
  hardwareOath: ['otp', 'hwk'],
};

/**
 * A step-up's result on top of the session it raised: the new sign-in's facts (app, groups,
 * risk, times), plus the previous session's second factors that `stillRegistered` accepts (a
 * method removed since must not count), each with its own verification time, so a factor
 * verified earlier still counts and its own sign-in frequency still applies. `amr` and `acr`
 * are recomputed from what is kept; a stamp of another user is never merged.
 */
export function mergeStepUp(
  previous: AuthStamp,
  fresh: AuthStamp,
  stillRegistered: (method: AuthMethod) => boolean,
): AuthStamp {
  if (previous.userId !== fresh.userId) return fresh;
  const freshMethods = stampMethods(fresh);
  const kept = stampMethods(previous).filter(
    (m) =>
      !FIRST_FACTOR_METHODS.has(m) && !freshMethods.includes(m) && AMR_OF_METHOD[m] && stillRegistered(m),
  );
  if (kept.length === 0) return fresh;
  const earlier: Partial<Record<AuthMethod, number>> = {};
  for (const m of kept) {
    // A stamp from before per-method times: its second factors date from its last mfaAt.
    const at = previous.verifiedAt ? previous.verifiedAt[m] : (previous.mfaAt ?? undefined);
    if (at !== undefined) earlier[m] = at;
  }
  const methods = [...freshMethods, ...kept];
  const values = [...new Set([...fresh.amr, ...kept.flatMap((m) => AMR_OF_METHOD[m] ?? [])])].filter(
    (a) => a !== 'mfa',
  );
  const amr = fresh.amr.includes('mfa') ? [...values, 'mfa'] : values;
  return {
    ...fresh,
    amr,
    methods,
    verifiedAt: { ...earlier, ...(fresh.verifiedAt ?? {}) },
    acr: acrFor(methods, amr),
  };
}
