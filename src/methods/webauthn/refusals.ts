// Why @simplewebauthn/server refused a browser's answer, as the audit detail an operator acts
// on: a page on another origin (phishing), another site's RP ID, a challenge not issued for this
// sign-in, the wrong ceremony, no user presence or verification, a counter that went back. The
// library says so in exceptions: matched by its error code, else by the start of its message
// (never by the rest, which quotes what the attacker sent). Anything else is `fallback`.

export type RefusalDetail =
  | 'origin_mismatch'
  | 'rp_id_mismatch'
  | 'challenge_mismatch'
  | 'type_mismatch'
  | 'user_not_present'
  | 'user_not_verified'
  | 'counter_regression';

const BY_CODE: Readonly<Record<string, RefusalDetail>> = {
  UNEXPECTED_ORIGIN: 'origin_mismatch',
  UNEXPECTED_RP_ID: 'rp_id_mismatch',
};

const BY_MESSAGE_START: readonly (readonly [RegExp, RefusalDetail])[] = [
  [/^Unexpected response origin /, 'origin_mismatch'],
  [/^Unexpected RP ID hash/, 'rp_id_mismatch'],
  [/^Unexpected (authentication|registration) response challenge /, 'challenge_mismatch'],
  [/^Unexpected (authentication|registration) response type/, 'type_mismatch'],
  [/^User (not present|presence was required)/, 'user_not_present'],
  [/^User verification (was )?required/, 'user_not_verified'],
  [/^Response counter value /, 'counter_regression'],
];

export function refusalDetail<F extends string>(error: unknown, fallback: F): RefusalDetail | F {
  if (!(error instanceof Error)) return fallback;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && BY_CODE[code]) return BY_CODE[code];
  return BY_MESSAGE_START.find(([start]) => start.test(error.message))?.[1] ?? fallback;
}
