// The oidc-provider interaction a request belongs to: read by the browser's interaction cookie,
// and it must be the one named in the URL. A store that cannot be read is an outage (503), not
// an expired sign-in; anything else the provider refuses is a sign-in to start again (400).
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import { MfaError, StoreError } from '../errors.ts';

export interface InteractionView {
  uid: string;
  prompt: { name: string };
  params: Record<string, unknown>;
  session?: { uid?: string; accountId?: string } | undefined;
}

const UID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The interaction this browser is in (by its interaction cookie), and it must be the one in the URL. */
export async function interactionFor(
  provider: Provider,
  req: Request,
  res: Response,
  uid?: string,
): Promise<InteractionView> {
  let details: InteractionView;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new MfaError(
      'interaction_not_found',
      'This sign-in has expired or belongs to another browser. Start again from the application.',
      400,
    );
  }
  if (uid !== undefined && (!UID_PATTERN.test(uid) || details.uid !== uid))
    throw new MfaError(
      'interaction_mismatch',
      'This sign-in page does not belong to your current sign-in. Start again from the application.',
      400,
    );
  return details;
}
