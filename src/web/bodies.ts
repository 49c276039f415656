// The request bodies and URL parameters of mfakit's HTTP routes (the Express pages and JSON
// API, the policy admin API, the Passport strategy, the oidc interaction routes), validated
// before anything reaches the engine: a bad one is a 400 `invalid_request` naming its first
// problem.
import { z } from 'zod';
import { appPasswordNameProblem } from '../engine/app-passwords.ts';
import { hasControlCharacters, LABEL_CONTROL_MESSAGE } from '../engine/control-characters.ts';
import { MfaError } from '../errors.ts';
import type { CredentialResponse, FactorInput } from '../methods/method.ts';
import { nestedDeeperThan } from './json-walk.ts';

/** The largest form or JSON body the sign-in routes read: a code, or a passkey's answer (a few kB). */
export const BODY_LIMIT = '16kb';
const CREDENTIAL_MAX_CHARS = 12_000;
/** A passkey's answer nests objects three or four deep; a client extension result a few more. */
const CREDENTIAL_MAX_DEPTH = 16;

/** A typed code: 6–8 digits, or a recovery code (`abcde-fghij`). */
export const codeField = z
  .string({ error: 'code is required' })
  .trim()
  .min(1, 'code is required')
  .max(16, 'code is too long')
  .regex(
    /^(\d{6,8}|[A-Za-z2-9]{5}-?[A-Za-z2-9]{5})$/,
    'code must be 6 or 8 digits, or a recovery code like abcde-fghij',
  );

const checkbox = z
  .union([z.boolean(), z.literal('1'), z.literal('on'), z.literal('true')])
  .optional()
  .transform((v) => v === true || v === '1' || v === 'on' || v === 'true');

const methodId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'methodId is malformed');

/**
 * A browser's answer to a passkey ceremony: a JSON object (a form sends it as a string), its
 * shape checked by its method. Not JSON, not an object, or too long: a 400 here.
 */
export const credentialField = z
  .union([z.string().max(CREDENTIAL_MAX_CHARS, 'credential is too long'), z.record(z.string(), z.unknown())])
  .transform((value, ctx): CredentialResponse => {
    let parsed: unknown = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'credential is not JSON' });
        return z.NEVER;
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'credential must be a JSON object' });
      return z.NEVER;
    }
    if (nestedDeeperThan(parsed, CREDENTIAL_MAX_DEPTH)) {
      ctx.addIssue({ code: 'custom', message: 'credential is nested too deeply' });
      return z.NEVER;
    }
    if (JSON.stringify(parsed).length > CREDENTIAL_MAX_CHARS) {
      ctx.addIssue({ code: 'custom', message: 'credential is too long' });
      return z.NEVER;
    }
    return parsed as CredentialResponse;
  });

/**
 * Word that the user approved the sign-in elsewhere — a notification in their app, or a keypad
 * call (the field is named for push, whichever method): `push=1` in a form, `"push": true` in JSON.
 */
const pushField = z
  .union([z.literal(true), z.literal('1'), z.literal('true')], { error: 'push must be true' })
  .optional()
  .transform((v) => (v === undefined ? undefined : (true as const)));

/** A second factor in a body: a `code`, a passkey's `credential`, or `push` (an approval: app or keypad call; exactly one). */
const factorFields = {
  code: codeField.optional(),
  credential: credentialField.optional(),
  push: pushField,
  methodId: methodId.optional(),
};

const oneFactor = (b: {
  code?: string | undefined;
  credential?: CredentialResponse | undefined;
  push?: true | undefined;
}) => [b.code, b.credential, b.push].filter((v) => v !== undefined).length === 1;
const ONE_FACTOR = { message: 'code is required', path: ['code'] };

export const verifyBody = z
  .object({
    ...factorFields,
    remember: checkbox,
    returnTo: z.string().max(512).optional(),
    _csrf: z.string().optional(),
  })
  .refine(oneFactor, ONE_FACTOR);

export const stepUpBody = z
  .object({
    ...factorFields,
    returnTo: z.string().max(512).optional(),
    _csrf: z.string().optional(),
  })
  .refine(oneFactor, ONE_FACTOR);

export const enrollConfirmBody = z
  .object({
    draftId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'draftId is malformed'),
    code: z
      .string({ error: 'code is required' })
      .trim()
      .regex(/^\d{6,8}$/, 'code must be 6 or 8 digits')
      .optional(),
    credential: credentialField.optional(),
    label: z
      .string()
      .trim()
      .max(64, 'label is at most 64 characters')
      .refine((label) => !hasControlCharacters(label), LABEL_CONTROL_MESSAGE)
      .optional(),
    _csrf: z.string().optional(),
  })
  .refine(oneFactor, ONE_FACTOR);

/** The factor a parsed body carries, as the engine takes it. */
export function factorOf(body: {
  code?: string | undefined;
  credential?: CredentialResponse | undefined;
  push?: true | undefined;
  methodId?: string | undefined;
}): FactorInput {
  if (body.credential !== undefined) return { credential: body.credential };
  if (body.push === true) return { push: true, methodId: body.methodId };
  return { code: body.code ?? '', methodId: body.methodId };
}

/** A passwordless sign-in's answer: the challenge it was for, and the credential. */
export const passkeySignInBody = z.object({
  challengeId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'challengeId is malformed'),
  credential: credentialField,
  returnTo: z.string().max(512).optional(),
  _csrf: z.string().optional(),
});

const appPasswordName = z
  .string({ error: 'name is required' })
  .trim()
  .superRefine((name, ctx) => {
    const problem = appPasswordNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const appId = z.string().max(128, 'an application id is at most 128 characters');
const appIds = z.array(appId, { error: 'apps must be a list of application ids' }).max(50, 'too many apps');

/** A new app password in JSON: its name and the application ids it may sign in to (the engine checks them). */
export const appPasswordBody = z.object({
  name: appPasswordName,
  apps: appIds,
  _csrf: z.string().optional(),
});

/**
 * The same from the form: one `apps` checkbox checked arrives as a string, several as a list, none
 * as nothing; and the form's one-time id (src/express/app-password-form-id.ts, 24 characters issued).
 */
export const appPasswordForm = appPasswordBody.extend({
  apps: z.preprocess((v) => (v === undefined ? [] : typeof v === 'string' ? [v] : v), appIds),
  formId: z.string().max(64, 'the form is malformed').optional(),
});

export const idParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'id is malformed');

/** A method's kind in a URL (`/enroll/totp`): see src/methods/registry.ts. */
export const methodKindParam = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'no such method');

/** First problem, as one sentence for the user. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'the request is invalid';
  const path = issue.path.join('.');
  return issue.code === 'invalid_type' && issue.input === undefined && path
    ? `${path} is required`
    : issue.message;
}

/** The parsed body, or a 400 MfaError `invalid_request` naming the first problem. */
export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new MfaError('invalid_request', firstIssue(result.error), 400);
  return result.data;
}
