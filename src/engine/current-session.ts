// Whether a session's stamp still stands, the per-request check every integration makes
// (`mfa.isCurrent`): not older than the user's last session revocation (session epochs), and,
// when a remembered device let the sign-in skip MFA, while that device is not revoked nor
// expired — revoking a device ("restore MFA on remembered devices", an admin reset) ends the
// sessions it admitted (a stamp from before device ids never gets here: parseStamp refuses
// it, so it signs in again). A session a Temporary Access Pass opened stands
// only while that pass is the user's (revoking or replacing it ends the session). Every check
// answers from an in-process cache when it can; internally the answer is then a plain boolean
// (a promise only when a store must be asked), and the public `mfa.isCurrent` wraps it in a
// promise. `{ uncached: true }` asks the stores whatever is cached (and refreshes the caches): the
// step that completes a pending sign-in uses it, so another process's revocation within the
// cache's second is not missed there (pending-currency.ts).
import type { SessionEpochs } from './session-epochs.ts';
import type { AuthStamp } from './stamp.ts';

/** `uncached`: read every answer from the stores, not the in-process caches. */
export interface CurrentSessionOptions {
  uncached?: boolean;
}

export type CurrentSessionCheck = (
  stamp: AuthStamp,
  options?: CurrentSessionOptions,
) => boolean | Promise<boolean>;

type Uncached = boolean | undefined;

export function createCurrentSessionCheck(
  epochs: Pick<SessionEpochs, 'isCurrent'>,
  devices: { isLive(userId: string, deviceId: string, uncached?: Uncached): boolean | Promise<boolean> },
  accessPasses: { admitsSession(stamp: AuthStamp, uncached?: Uncached): boolean | Promise<boolean> },
): CurrentSessionCheck {
  return (stamp, options) => {
    const uncached = options?.uncached;
    const epoch = epochs.isCurrent(stamp, uncached);
    const device =
      stamp.skippedBy === 'remembered_device'
        ? devices.isLive(stamp.userId, stamp.rememberedDeviceId, uncached)
        : true;
    const pass = accessPasses.admitsSession(stamp, uncached);
    if (typeof epoch === 'boolean' && typeof device === 'boolean' && typeof pass === 'boolean')
      return epoch && device && pass;
    // All awaited, so a store failure in any is never left unhandled.
    return Promise.all([epoch, device, pass]).then(([a, b, c]) => a && b && c);
  };
}
