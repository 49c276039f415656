// The one remember-device helper for every integration (the pending flow, the Passport
// strategy): the engine remembers the device, and the cookie a later sign-in's decision reads
// is set here.
import type { Response } from 'express';
import type { Mfa, RequestContext } from '../engine/create-mfa.ts';

/** Remembers this device for `days` and sets its cookie (httpOnly, SameSite=Lax, whole site). */
export async function issueRememberCookie(
  mfa: Mfa,
  res: Response,
  device: { userId: string; userAgent: string; days: number },
  ctx: RequestContext,
): Promise<void> {
  const issued = await mfa.devices.remember(device.userId, device.userAgent, ctx, device.days);
  res.cookie(mfa.settings.rememberDevice.cookieName, issued.cookieValue, {
    httpOnly: true,
    secure: mfa.settings.rememberDevice.secureCookie,
    sameSite: 'lax',
    path: '/',
    expires: new Date(issued.device.expiresAt),
  });
}
