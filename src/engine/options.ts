// The options of `createMfa()`, validated with zod so a mistake is reported with its path
// at start-up instead of surfacing as a weaker check at sign-in.

import { z } from 'zod';
import type { AuditSink } from '../audit/events.ts';
import { ConfigError } from '../errors.ts';
import { hotp } from '../methods/hotp/index.ts';
import type { MethodDefinition } from '../methods/method.ts';
import type { PhoneDelivery } from '../methods/phone/delivery.ts';
import {
  filledProblem,
  overlongTemplates,
  phoneTemplatesSchema,
  serviceNameOf,
  wordingProblem,
} from '../methods/phone/message-template.ts';
import { BLOCKED_PHONE_PREFIXES, toE164 } from '../methods/phone/number.ts';
import { recoveryCode } from '../methods/recovery-code/index.ts';
import { totp } from '../methods/totp/index.ts';
import type { Stores } from '../store/ports.ts';
import { cidrSchema, trustedProxySchema } from '../trust/cidr.ts';
import { appPasswordsSchema } from './app-password-options.ts';
import type { Clock, RandomSource } from './capabilities.ts';
import type { Directory } from './decide.ts';
import { firstFactorThrottleSchema } from './first-factor-throttle.ts';

/** A number prefix in options: `+` and 1 to 6 digits, the country code or more (`+44`, `+979`). */
const phonePrefix = z.string().regex(/^\+[1-9]\d{0,5}$/, 'a phone prefix is + and 1 to 6 digits, e.g. +44');

// NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on a single account.
export const HARD_FAILURE_CEILING = 100;

// Microsoft Entra ID's bounds for a Temporary Access Pass: 8–48 characters, 10 minutes to 30 days.
export const TAP_LENGTH_MAX = 48;
export const TAP_LIFETIME_MIN_MINUTES = 10;
export const TAP_LIFETIME_MAX_MINUTES = 43_200;
const tapLifetime = z.number().int().min(TAP_LIFETIME_MIN_MINUTES).max(TAP_LIFETIME_MAX_MINUTES);

/** `phone.callerId`: a number as registered numbers are written, kept in E.164. */
const callerId = z.string().transform((input, ctx) => {
  const e164 = toE164(input);
  if (e164 === null)
    ctx.addIssue({
      code: 'custom',
      message: 'a phone number in E.164: + and 8 to 15 digits, e.g. +44 20 7946 0958',
    });
  return e164 ?? input;
});

const algorithm = z.enum(['sha1', 'sha256', 'sha512']);
const key32 = z.union([
  z.instanceof(Buffer).refine((b) => b.length === 32, 'must be 32 bytes'),
  z
    .string()
    .transform((s) => Buffer.from(s, 'base64'))
    .refine((b) => b.length === 32, 'must be 32 bytes, base64-encoded'),
]);

const optionFields = z.object({
  stores: z.custom<Stores>(
    (v) => typeof v === 'object' && v !== null && 'repository' in v && 'ephemeral' in v,
    'stores must be { repository, ephemeral } (see mfakit/adapters/*)',
  ),
  clock: z.custom<Clock>((v) => typeof (v as Clock)?.now === 'function', 'clock must have now()').optional(),
  random: z
    .custom<RandomSource>(
      (v) => typeof (v as RandomSource)?.bytes === 'function',
      'random must have bytes(n)',
    )
    .optional(),
  issuer: z.string().min(1).max(64),
  sealingKeys: z
    .array(
      z.object({
        id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'key id: 1-32 of [A-Za-z0-9_-]'),
        key: key32,
      }),
    )
    .min(1, 'at least one sealing key is required')
    .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, 'sealing key ids must be unique'),
  /**
   * The sign-in methods enabled, in the order a typed code is tried: each one a folder of
   * src/methods/ (its definition exported from mfakit). Default: TOTP (authenticator apps and
   * time-based tokens), HOTP (counter-based tokens) and recovery codes.
   */
  methods: z
    .array(
      z.custom<MethodDefinition>(
        (v) =>
          typeof (v as MethodDefinition)?.kind === 'string' &&
          typeof (v as MethodDefinition)?.create === 'function',
        'each method must be a method definition such as totp, hotp or recoveryCode from mfakit',
      ),
    )
    .min(1, 'enable at least one method')
    .default(() => [totp, hotp, recoveryCode]),
  totp: z
    .object({
      algorithm: algorithm.default('sha1'),
      digits: z.union([z.literal(6), z.literal(8)]).default(6),
      period: z.number().int().min(15).max(120).default(30),
      toleranceSteps: z.number().int().min(0).max(3).default(1),
    })
    .default({ algorithm: 'sha1', digits: 6, period: 30, toleranceSteps: 1 }),
  hotp: z
    .object({
      lookAhead: z.number().int().min(0).max(50).default(10),
      resyncWindow: z.number().int().min(1).max(1000).default(100),
    })
    .default({ lookAhead: 10, resyncWindow: 100 }),
  /**
   * Text message and phone call (the `sms` and `voice` methods): who delivers the messages (an
   * SMS/voice provider; none given: the development outbox, which only prints them, and which
   * NODE_ENV=production refuses), how long a code lasts (at most 10 minutes), the name messages
   * give (default `issuer`), the number they come from (`callerId`), their wording (`messages`,
   * see message-template.ts), how many codes a user, a number and a client address may be sent
   * in a window, and which numbers may be registered (prefixes).
   */
  phone: z
    .object({
      delivery: z
        .custom<PhoneDelivery>(
          (v) => typeof (v as PhoneDelivery)?.send === 'function',
          'phone.delivery must have send(message)',
        )
        .optional(),
      codeLifetimeSeconds: z.number().int().min(60).max(600).default(300),
      senderName: z
        .string()
        .regex(
          /^[\p{L}\p{N}][\p{L}\p{N} .,&'_-]{0,31}$/u,
          "phone.senderName: 1-32 letters, digits, spaces, .,&'_-",
        )
        .optional(),
      callerId: callerId.optional(),
      messages: phoneTemplatesSchema.optional(),
      perUser: z
        .object({
          max: z.number().int().min(1).max(20).default(5),
          windowSeconds: z.number().int().min(60).max(3600).default(300),
        })
        .prefault({}),
      perNumber: z
        .object({
          max: z.number().int().min(1).max(100).default(10),
          windowSeconds: z.number().int().min(60).max(86400).default(3600),
        })
        .prefault({}),
      perAddress: z
        .object({
          max: z.number().int().min(1).max(1000).default(20),
          windowSeconds: z.number().int().min(60).max(86400).default(3600),
        })
        .prefault({}),
      blockedPrefixes: z
        .array(phonePrefix)
        .max(500)
        .default([...BLOCKED_PHONE_PREFIXES]),
      allowedPrefixes: z.array(phonePrefix).min(1).max(500).optional(),
    })
    .prefault({}),
  pendingTtlSeconds: z.number().int().min(30).max(3600).default(300),
  /** How recent a real second-factor verification must be to add or remove methods. */
  reauthMaxAgeSeconds: z.number().int().min(30).max(86400).default(300),
  defaultUserState: z.enum(['disabled', 'enabled', 'enforced']).default('enabled'),
  rememberDevice: z
    .object({
      enabled: z.boolean().default(true),
      days: z.number().int().min(1).max(365).default(14),
      maxDays: z.number().int().min(1).max(365).default(60),
      cookieName: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/)
        .default('mfakit_rd'),
      secureCookie: z.boolean().default(true),
    })
    .refine((r) => r.days <= r.maxDays, 'rememberDevice.days must not exceed rememberDevice.maxDays')
    .default({ enabled: true, days: 14, maxDays: 60, cookieName: 'mfakit_rd', secureCookie: true }),
  /** Addresses or CIDRs (strictly written, see src/trust/cidr.ts) whose sign-ins may skip MFA. */
  trustedNetworks: z.array(cidrSchema).default([]),
  /** proxy-addr trust list: addresses, CIDRs or the names loopback / linklocal / uniquelocal. */
  trustedProxies: z.array(trustedProxySchema).default([]),
  lockout: z
    .object({
      maxAttempts: z.number().int().min(1).max(HARD_FAILURE_CEILING).default(5),
      lockSeconds: z.number().int().min(1).max(86400).default(900),
      maxAttemptsPerIp: z.number().int().min(1).max(10000).default(50),
      backoffAfter: z.number().int().min(1).max(HARD_FAILURE_CEILING).default(3),
      backoffBaseMs: z.number().int().min(0).max(60000).default(1000),
      /** Consecutive failures (across lock periods) after which the account stays locked until reset. */
      hardLimit: z.number().int().min(1).max(HARD_FAILURE_CEILING).default(20),
    })
    .default({
      maxAttempts: 5,
      lockSeconds: 900,
      maxAttemptsPerIp: 50,
      backoffAfter: 3,
      backoffBaseMs: 1000,
      hardLimit: 20,
    }),
  /** The first-factor gate's throttle (passwords, Temporary Access Passes): see first-factor-throttle.ts. */
  firstFactor: firstFactorThrottleSchema.prefault({}),
  recoveryCodes: z.object({ count: z.number().int().min(4).max(20).default(10) }).default({ count: 10 }),
  /**
   * Temporary Access Passes (as in Microsoft Entra ID): an administrator issues a time-limited pass
   * to sign in and register methods. Ranges are Entra's: 8–48 characters, lifetimes from 10 minutes
   * to 30 days. See src/engine/temporary-access-pass.ts.
   */
  temporaryAccessPass: z
    .object({
      enabled: z.boolean().default(true),
      // Entra's default is 8 characters of a mixed-case alphabet with symbols (~6 bits each). Ours is
      // 31 unambiguous, case-insensitive symbols (~4.95 bits each): 12 give ~59 bits, more than Entra's
      // 8, and still read out or typed in three groups of four.
      length: z.number().int().min(8).max(TAP_LENGTH_MAX).default(12),
      // Entra's default lifetime: an hour is enough to sit down with the user and register a method.
      defaultLifetimeMinutes: tapLifetime.default(60),
      // Entra's floor (its own default minimum is an hour): an administrator may issue a pass for
      // the next ten minutes of a phone call.
      minLifetimeMinutes: tapLifetime.default(10),
      // Entra's default maximum: a working day. A longer pass is a longer window for a leaked one;
      // raise it (up to 30 days) for passes posted to new hires.
      maxLifetimeMinutes: tapLifetime.default(480),
      // Entra defaults to multi-use; one-time here, since a pass exists to register a first method
      // and a one-time pass seen over a shoulder after that is worth nothing.
      oneTimeDefault: z.boolean().default(true),
    })
    .refine(
      (t) => t.minLifetimeMinutes <= t.maxLifetimeMinutes,
      'temporaryAccessPass.minLifetimeMinutes must not exceed maxLifetimeMinutes',
    )
    .refine(
      (t) =>
        t.minLifetimeMinutes <= t.defaultLifetimeMinutes && t.defaultLifetimeMinutes <= t.maxLifetimeMinutes,
      'temporaryAccessPass.defaultLifetimeMinutes must lie between minLifetimeMinutes and maxLifetimeMinutes',
    )
    .default({
      enabled: true,
      length: 12,
      defaultLifetimeMinutes: 60,
      minLifetimeMinutes: 10,
      maxLifetimeMinutes: 480,
      oneTimeDefault: true,
    }),
  /** App passwords for legacy clients: see src/engine/app-passwords.ts. Off by default. */
  appPasswords: appPasswordsSchema.prefault({}),
  audit: z.custom<AuditSink>((v) => typeof v === 'function', 'audit must be a function').optional(),
  /**
   * Conditional-access policies: a policy document (see mfakit's README), or 'store' to use
   * the document saved in the repository (edited through `mfa.policies.replace()` / the admin
   * API / the CLI). Validated in full at start-up.
   */
  policies: z.unknown().optional(),
  /** With policies: 'store': how often each process re-reads the saved document. */
  policyRefreshSeconds: z.number().int().min(1).max(3600).default(15),
  /** Groups and roles of a user, for policy assignments. */
  directory: z
    .custom<Directory>(
      (v) => typeof (v as Directory)?.subject === 'function',
      'directory must have subject(userId)',
    )
    .optional(),
  /** The application name used for conditional access when a sign-in names none. */
  defaultApp: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/)
    .default('default'),
});

/** The options, with the checks that need more than one of them. */
export const optionsSchema = optionFields.superRefine((options, ctx) => {
  // A message template's length depends on the service name it fills in.
  for (const { name, message } of overlongTemplates(options.phone.messages, serviceNameOf(options)))
    ctx.addIssue({ code: 'custom', path: ['phone', 'messages', name], message });
  // Nor may the two make a link together (`{service}/login` with a service `acme.example`).
  for (const name of ['sms', 'call'] as const) {
    const template = options.phone.messages?.[name];
    const filled = template === undefined ? null : filledProblem(name, template, serviceNameOf(options));
    if (filled !== null) ctx.addIssue({ code: 'custom', path: ['phone', 'messages', name], message: filled });
  }
  // Texts and calls say the service name: the issuer, unless phone.senderName is set, is held to
  // the rules of their words (no link, nothing hidden).
  const phoned = options.methods.some((m) => m.kind === 'sms' || m.kind === 'voice');
  const problem =
    phoned && options.phone.senderName === undefined ? wordingProblem(options.issuer, false) : null;
  if (problem !== null)
    ctx.addIssue({
      code: 'custom',
      path: ['phone', 'senderName'],
      message: `texts and calls name the service by the issuer "${options.issuer}", which has ${problem}; set phone.senderName`,
    });
});

export type MfaOptions = z.input<typeof optionsSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema>;

/**
 * Validates `input` against `schema`; throws a ConfigError naming `what` and listing every
 * problem with its path. Every options object of the package goes through it.
 */
export function parseConfig<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`invalid ${what}: ${problems}`);
  }
  return parsed.data;
}

/** Validates options; throws an MfaError listing every problem with its path. */
export function resolveOptions(input: MfaOptions): ResolvedOptions {
  return parseConfig(optionsSchema, input, 'mfakit options');
}
