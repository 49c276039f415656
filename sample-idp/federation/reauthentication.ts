// When a sign-in here must be a new one, the claims provider's must be too: otherwise its SSO
// session answers `prompt=login`, `max_age` or a policy's sign-in frequency without asking
// anything, and its old MFA counts as new. What the interaction asks is passed upstream
// (prompt=login, max_age) and checked on the answer's auth_time.
import type { Reauthentication } from './upstream.ts';

/**
 * The login prompt's reasons that need a new login whatever the upstream's session: prompt=login
 * (oidc-provider's) and mfakit's `mfakit_signin` (e.g. the sign-in frequency has passed). A
 * session here older than `max_age` is not one: the upstream gets the max_age and judges its own.
 */
const NEW_LOGIN_REASONS = new Set(['login_prompt', 'mfakit_signin']);

export interface InteractionAsk {
  prompt: { name: string; reasons?: readonly string[] };
  params: Record<string, unknown>;
}

const maxAgeOf = (raw: unknown): number | undefined => {
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/**
 * What the upstream must be asked for this interaction: `prompt=login` when the request has
 * prompt=login (oidc-provider turns max_age=0 into it) or mfakit's check asks for a new first
 * factor (the sign-in frequency has passed); `max_age` as the request gave it.
 */
export function reauthenticationFor(details: InteractionAsk): Reauthentication {
  const prompts = typeof details.params.prompt === 'string' ? details.params.prompt.split(' ') : [];
  const newLogin =
    prompts.includes('login') || (details.prompt.reasons ?? []).some((r) => NEW_LOGIN_REASONS.has(r));
  const maxAge = maxAgeOf(details.params.max_age);
  return { ...(newLogin ? { prompt: 'login' } : {}), ...(maxAge !== undefined ? { maxAge } : {}) };
}

/**
 * The oldest auth_time the answer may carry, as openid-client's `maxAge` (seconds from now) at
 * the callback: a sign-in no older than the max_age the upstream was given, counted from when
 * the request went upstream (`startedAt`, ms on `now`'s clock), so the time the user took there
 * is not held against them; after prompt=login, none from before that request. Undefined: any.
 */
export function maxAgeAtCallback(
  asked: Reauthentication,
  startedAt: number,
  now: number,
): number | undefined {
  if (asked.prompt === undefined && asked.maxAge === undefined) return undefined;
  const sinceStart = Math.ceil(Math.max(0, now - startedAt) / 1000);
  return sinceStart + (asked.prompt === 'login' ? 0 : (asked.maxAge ?? 0));
}
