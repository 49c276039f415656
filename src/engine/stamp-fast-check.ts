// The quick reading of a stamp already in today's shape, which every guarded request makes
// (express-session hands the stamp back freshly parsed from JSON on each request): plain checks
// of each field, where zod's parse of the same schema was about a third of requireMfa's cost.
// It is only a shortcut: it answers a stamp only when every key is one today's shape has and
// every value is valid, and otherwise `undefined`, leaving the decision to parseStamp's zod
// schema (which also upgrades the shapes of earlier releases). test/engine/parse-stamp-fast
// checks that whatever it accepts, the schema accepts with the same result.
import { AUTH_METHODS, type AuthMethod, CLIENT_APP_TYPES, type ClientAppType } from '../policy/model.ts';
import { type AuthStamp, type AuthStampFacts, STAMP_VERSION } from './stamp.ts';

type Fields = Record<string, unknown>;

const METHODS: ReadonlySet<string> = new Set(AUTH_METHODS);
const CLIENT_TYPES: ReadonlySet<string> = new Set(CLIENT_APP_TYPES);
const RISK_FLAGS: ReadonlySet<string> = new Set(['newDevice', 'newNetwork', 'fraudFlagged']);

const FACT_KEYS = [
  'version',
  'userId',
  'amr',
  'acr',
  'firstFactorAmr',
  'authTime',
  'mfaAt',
  'methods',
  'verifiedAt',
  'app',
  'clientAppType',
  'groups',
  'roles',
  'risk',
];
/** The keys of each state of today's shape, by `skippedBy`. */
const KEYS = {
  verified: new Set(FACT_KEYS),
  skipped: new Set([...FACT_KEYS, 'skippedBy']),
  device: new Set([...FACT_KEYS, 'skippedBy', 'rememberedDeviceId', 'rememberedDeviceAt']),
};

const isPlain = (v: unknown): v is Fields => {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
/** An array of strings, every index filled (`every` would skip the holes of a sparse array). */
function strings(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

/** The keys a stamp may have or not, absent from older stamps: the one-factor passkey, the session's id. */
const OPTIONAL_KEYS = ['firstFactorMethodId', 'sessionId'] as const;
type OptionalFacts = Pick<AuthStampFacts, (typeof OPTIONAL_KEYS)[number]>;

/** Whether `v` has exactly the keys of `keys` (own, enumerable), plus those of `optional`. */
function hasExactly(v: Fields, keys: ReadonlySet<string>, optional: readonly string[]): boolean {
  const own = Object.keys(v);
  return own.length === keys.size + optional.length && own.every((k) => keys.has(k) || optional.includes(k));
}

function verifiedAtOf(v: unknown): Partial<Record<AuthMethod, number>> | undefined {
  if (!isPlain(v)) return undefined;
  const out: Partial<Record<AuthMethod, number>> = {};
  for (const [k, at] of Object.entries(v)) {
    if (!METHODS.has(k) || !finite(at)) return undefined;
    out[k as AuthMethod] = at;
  }
  return out;
}

function riskOf(v: unknown): AuthStampFacts['risk'] | undefined {
  if (!isPlain(v)) return undefined;
  const out: AuthStampFacts['risk'] = {};
  for (const [k, value] of Object.entries(v)) {
    if (RISK_FLAGS.has(k) && typeof value === 'boolean') out[k as 'newDevice'] = value;
    else if (k === 'recentFailures' && finite(value)) out.recentFailures = value;
    else return undefined;
  }
  return out;
}

/** `value` as a stamp when it is plainly in today's shape; `undefined`: let the schema decide. */
export function currentStampFastCheck(value: unknown): AuthStamp | undefined {
  if (!isPlain(value) || value.version !== STAMP_VERSION) return undefined;
  const v = value;
  const skippedBy = v.skippedBy;
  const keys =
    skippedBy === 'remembered_device'
      ? KEYS.device
      : skippedBy === 'user_disabled' || skippedBy === 'trusted_network'
        ? KEYS.skipped
        : KEYS.verified;
  // The optional keys, when present, must each hold an id (anything else: the schema decides).
  const present = OPTIONAL_KEYS.filter((k) => Object.hasOwn(v, k));
  const optional: OptionalFacts = {};
  for (const k of present) {
    const id = v[k];
    if (!nonEmpty(id)) return undefined;
    optional[k] = id;
  }
  if (!hasExactly(v, keys, present)) return undefined;
  const { userId, amr, acr, firstFactorAmr, authTime, mfaAt, methods, app, clientAppType, groups, roles } = v;
  if (!nonEmpty(userId) || !strings(amr) || !nonEmpty(acr) || !strings(firstFactorAmr)) return undefined;
  if (!finite(authTime) || !(mfaAt === null || finite(mfaAt))) return undefined;
  if (!strings(methods) || !methods.every((m) => METHODS.has(m))) return undefined;
  if (!(app === null || typeof app === 'string')) return undefined;
  if (typeof clientAppType !== 'string' || !CLIENT_TYPES.has(clientAppType)) return undefined;
  if (!strings(groups) || !strings(roles)) return undefined;
  const verifiedAt = verifiedAtOf(v.verifiedAt);
  const risk = riskOf(v.risk);
  if (verifiedAt === undefined || risk === undefined) return undefined;
  const facts: AuthStampFacts = {
    version: STAMP_VERSION,
    userId,
    amr: [...amr],
    acr,
    firstFactorAmr: [...firstFactorAmr],
    authTime,
    mfaAt,
    methods: [...methods] as AuthMethod[],
    verifiedAt,
    app,
    clientAppType: clientAppType as ClientAppType,
    groups: [...groups],
    roles: [...roles],
    risk,
    ...optional,
  };
  if (skippedBy === undefined) return facts;
  if (skippedBy !== 'remembered_device') return { ...facts, skippedBy: skippedBy as 'user_disabled' };
  const { rememberedDeviceId, rememberedDeviceAt } = v;
  if (!nonEmpty(rememberedDeviceId) || !finite(rememberedDeviceAt)) return undefined;
  return { ...facts, skippedBy, rememberedDeviceId, rememberedDeviceAt };
}
