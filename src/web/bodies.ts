// The request bodies and URL parameters of mfakit's HTTP routes (the Express pages and JSON
// API, the policy admin API, the Passport strategy, the oidc interaction routes), validated
// before anything reaches the engine: a bad one is a 400 `invalid_request` naming its first
// problem.
import { z } from 'zod';
import { MfaError } from '../errors.ts';

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

export const verifyBody = z.object({
  code: codeField,
  methodId: methodId.optional(),
  remember: checkbox,
  returnTo: z.string().max(512).optional(),
  _csrf: z.string().optional(),
});

export const stepUpBody = z.object({
  code: codeField,
  methodId: methodId.optional(),
  returnTo: z.string().max(512).optional(),
  _csrf: z.string().optional(),
});

export const enrollConfirmBody = z.object({
  draftId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'draftId is malformed'),
  code: z
    .string({ error: 'code is required' })
    .trim()
    .regex(/^\d{6,8}$/, 'code must be 6 or 8 digits'),
  label: z.string().trim().max(64, 'label is at most 64 characters').optional(),
  _csrf: z.string().optional(),
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
