import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens for the sign-in pages of an interaction: an HMAC of the interaction uid under
 * a key derived from the cookie keys. The page is only served to the browser holding that
 * interaction's cookie (oidc-provider matches it), and a POST must carry the token of the
 * same uid, so no other site can submit a form into someone's sign-in.
 */
export function createFormTokens(cookieKey: string) {
  const key = createHmac('sha256', cookieKey).update('mfakit federation form tokens v1').digest();
  const tokenFor = (purpose: string, uid: string) =>
    createHmac('sha256', key).update(`${purpose}\0${uid}`).digest('base64url');
  return {
    tokenFor,
    check(purpose: string, uid: string, given: unknown): boolean {
      if (typeof given !== 'string') return false;
      const expected = Buffer.from(tokenFor(purpose, uid));
      const actual = Buffer.from(given);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

export type FormTokens = ReturnType<typeof createFormTokens>;
