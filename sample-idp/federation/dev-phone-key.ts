// The development phone's key: a capability made at server start and printed on the server's
// console as part of the link `<issuer>/dev/phone?key=<key>`. Opening that link sets a cookie
// (HttpOnly, SameSite=Strict, for /dev/phone only) holding a value derived from the key; every
// request without that cookie is refused. Whoever reads the console holds the key — a forwarder
// on the same machine that carries the internet to the port (socat, `ssh -R`, a header-less
// reverse proxy) does not.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { Request, Response } from 'express';

export const DEV_PHONE_PATH = '/dev/phone';
const KEY_COOKIE = 'fed_dev_phone_key';
/** 256 random bits, base64url: 43 characters. */
const KEY_BYTES = 32;
/** A key given to the server must carry at least 128 bits: 22 base64url characters. */
const KEY_FORMAT = /^[A-Za-z0-9_-]{22,128}$/;

/** A new random key for the development phone (256 bits, base64url). */
export function newDevPhoneKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

/** The link that opens the development phone: the console prints it, the key in it lets the browser in. */
export function devPhoneLink(issuer: string, key: string): string {
  return `${issuer.replace(/\/+$/, '')}${DEV_PHONE_PATH}?key=${key}`;
}

/** Throws unless `key` is base64url carrying at least 128 bits. */
export function checkDevPhoneKey(key: string): string {
  if (!KEY_FORMAT.test(key))
    throw new Error('the development phone key must be 22 to 128 base64url characters (at least 128 bits)');
  return key;
}

export interface DevPhoneKeyCheck {
  /** Whether `given` is the key (constant time). */
  isKey(given: unknown): boolean;
  /** Whether the request carries the cookie the key's link sets (constant time). */
  hasCookie(req: Request): boolean;
  /** Sets that cookie, for the development phone's path only. */
  setCookie(res: Response): void;
}

/** Constant-time equality of two strings of any length (their SHA-256 digests are compared). */
function sameText(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function devPhoneKeyCheck(key: string, secureCookies: boolean): DevPhoneKeyCheck {
  // The cookie holds a value derived from the key, not the key: the link stays the only way in.
  const cookieValue = createHmac('sha256', key).update('development phone cookie').digest('base64url');
  return {
    isKey: (given) => typeof given === 'string' && sameText(given, key),
    hasCookie: (req) => {
      const given = parseCookies(req.headers.cookie ?? '')[KEY_COOKIE];
      return given !== undefined && sameText(given, cookieValue);
    },
    setCookie: (res) =>
      res.cookie(KEY_COOKIE, cookieValue, {
        path: DEV_PHONE_PATH,
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookies,
      }),
  };
}
