// parseStamp(): the one boundary where a stamp comes back from storage (express-session, the
// oidc session stamps, anything an integration keeps). It accepts the current version, upgrades
// the unversioned shapes of earlier releases once, and refuses everything else — garbage, a
// version this code does not know, a remembered-device skip that names no device — with null,
// which integrations treat as no session: sign in again. Past it, every field is required and
// no reader needs a fallback for an older shape.
import { z } from 'zod';
import { AUTH_METHODS, type AuthMethod, CLIENT_APP_TYPES } from '../policy/model.ts';
import { type AuthStamp, type AuthStampFacts, FIRST_FACTOR_METHODS, STAMP_VERSION } from './stamp.ts';
import { currentStampFastCheck } from './stamp-fast-check.ts';

const method = z.enum(AUTH_METHODS);
const time = z.number().finite();
const risk = z.object({
  newDevice: z.boolean().optional(),
  newNetwork: z.boolean().optional(),
  fraudFlagged: z.boolean().optional(),
  recentFailures: z.number().finite().optional(),
});
/** When each method was last verified: only method names as keys. */
const verifiedAt = z.strictObject(
  Object.fromEntries(AUTH_METHODS.map((m) => [m, time.optional()])) as Record<
    AuthMethod,
    z.ZodOptional<typeof time>
  >,
);

/** Fields every shape has had since the first release. */
const always = {
  userId: z.string().min(1),
  amr: z.array(z.string()),
  acr: z.string().min(1),
  authTime: time,
  mfaAt: time.nullable(),
};

const facts = {
  version: z.literal(STAMP_VERSION),
  ...always,
  firstFactorAmr: z.array(z.string()),
  methods: z.array(method),
  verifiedAt,
  app: z.string().nullable(),
  clientAppType: z.enum(CLIENT_APP_TYPES),
  groups: z.array(z.string()),
  roles: z.array(z.string()),
  risk,
  /** Since the step-up excluded it; a stamp written before has none and parses as before. */
  firstFactorMethodId: z.string().min(1).optional(),
  /** Since step-ups were bound to it; a stamp written before has none and is bound as before. */
  sessionId: z.string().min(1).optional(),
};

/** Today's shape, one schema per state (fields of another state are dropped). Exported for tests. */
export const currentStampSchema = z.discriminatedUnion('skippedBy', [
  z.object({ ...facts, skippedBy: z.undefined().optional() }),
  z.object({ ...facts, skippedBy: z.enum(['user_disabled', 'trusted_network']) }),
  z.object({
    ...facts,
    skippedBy: z.literal('remembered_device'),
    rememberedDeviceId: z.string().min(1),
    rememberedDeviceAt: time,
  }),
]);

/**
 * The unversioned stamps of earlier releases: the first one (who, amr, acr, times, skip), then
 * methods, application, groups, roles and risk (conditional access), the client type, per-method
 * verification times, the first factor's own amr, the remembered device's id.
 */
const unversioned = z.object({
  ...always,
  firstFactorAmr: z.array(z.string()).optional(),
  methods: z.array(method).optional(),
  verifiedAt: verifiedAt.optional(),
  app: z.string().optional(),
  clientAppType: z.enum(CLIENT_APP_TYPES).optional(),
  groups: z.array(z.string()).optional(),
  roles: z.array(z.string()).optional(),
  risk: risk.optional(),
  skippedBy: z.enum(['user_disabled', 'trusted_network', 'remembered_device']).optional(),
  rememberedDeviceId: z.string().min(1).optional(),
  rememberedDeviceAt: time.optional(),
});

type Unversioned = z.infer<typeof unversioned>;

/** The methods of a stamp from before method tracking, read from its amr (only password and OTP existed then). */
function methodsFromAmr(amr: readonly string[]): AuthMethod[] {
  const out: AuthMethod[] = [];
  if (amr.includes('pwd') || amr.includes('fed')) out.push('password');
  if (amr.includes('hwk')) out.push('hardwareOath');
  else if (amr.includes('otp')) out.push('totp');
  return out;
}

/** An unversioned stamp in today's shape: what each older reader assumed when a field was absent. */
function upgrade(old: Unversioned): AuthStamp | null {
  const methods = old.methods ?? methodsFromAmr(old.amr);
  // Before per-method times, every second factor dated from the session's last mfaAt.
  const verifiedAt =
    old.verifiedAt ??
    Object.fromEntries(
      old.mfaAt === null
        ? []
        : methods.filter((m) => !FIRST_FACTOR_METHODS.has(m)).map((m) => [m, old.mfaAt]),
    );
  const facts: AuthStampFacts = {
    version: STAMP_VERSION,
    userId: old.userId,
    amr: old.amr,
    acr: old.acr,
    firstFactorAmr: old.firstFactorAmr ?? old.amr.filter((a) => a === 'pwd' || a === 'fed' || a === 'tap'),
    authTime: old.authTime,
    mfaAt: old.mfaAt,
    methods,
    verifiedAt,
    app: old.app ?? null,
    // What policy evaluation assumed of a stamp without them.
    clientAppType: old.clientAppType ?? 'browser',
    groups: old.groups ?? [],
    roles: old.roles ?? [],
    risk: old.risk ?? {},
  };
  switch (old.skippedBy) {
    case undefined:
      return facts;
    case 'remembered_device':
      // Revoking the device ends the session: one that names no device cannot be checked.
      if (old.rememberedDeviceId === undefined) return null;
      return {
        ...facts,
        skippedBy: 'remembered_device',
        rememberedDeviceId: old.rememberedDeviceId,
        // Before the device's age was recorded, the session policy dated it from the sign-in.
        rememberedDeviceAt: old.rememberedDeviceAt ?? old.authTime,
      };
    default:
      return { ...facts, skippedBy: old.skippedBy };
  }
}

/**
 * A stamp read back from storage, in the current shape, or null: not a stamp, a version this
 * code does not know, or one that can no longer be trusted — the session must sign in again.
 */
export function parseStamp(value: unknown): AuthStamp | null {
  const stamp = parseAnyStamp(value);
  // An app password's sign-in is a legacy client's, never kept as another client's session.
  if (stamp?.methods.includes('appPassword') && stamp.clientAppType !== 'legacy') return null;
  return stamp;
}

function parseAnyStamp(value: unknown): AuthStamp | null {
  if (typeof value !== 'object' || value === null) return null;
  const version = (value as { version?: unknown }).version;
  if (version === STAMP_VERSION) {
    // The usual case, checked plainly; anything it is unsure of goes to the schema.
    const plain = currentStampFastCheck(value);
    if (plain !== undefined) return plain;
    const parsed = currentStampSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  }
  if (version !== undefined) return null;
  const parsed = unversioned.safeParse(value);
  return parsed.success ? upgrade(parsed.data) : null;
}
