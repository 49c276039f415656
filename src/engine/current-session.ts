// Whether a session's stamp still stands, the per-request check every integration makes
// (`mfa.isCurrent`): not older than the user's last session revocation (session epochs), and,
// when a remembered device let the sign-in skip MFA, while that device is not revoked nor
// expired — revoking a device ("restore MFA on remembered devices", an admin reset) ends the
// sessions it admitted (a stamp from before device ids never gets here: parseStamp refuses
// it, so it signs in again). A session a Temporary Access Pass opened stands
// only while that pass is the user's (revoking or replacing it ends the session). Every check
// answers from an in-process cache when it can; internally the answer is then a plain boolean
// (a promise only when a store must be asked), and the public `mfa.isCurrent` wraps it in a
// promise.
import type { SessionEpochs } from './session-epochs.ts';
import type { AuthStamp } from './stamp.ts';

export type CurrentSessionCheck = (stamp: AuthStamp) => boolean | Promise<boolean>;

export function createCurrentSessionCheck(
  epochs: Pick<SessionEpochs, 'isCurrent'>,
  devices: { isLive(userId: string, deviceId: string): boolean | Promise<boolean> },
  accessPasses: { admitsSession(stamp: AuthStamp): boolean | Promise<boolean> },
): CurrentSessionCheck {
  return (stamp) => {
    const epoch = epochs.isCurrent(stamp);
    const device =
      stamp.skippedBy === 'remembered_device' ? devices.isLive(stamp.userId, stamp.rememberedDeviceId) : true;
    const pass = accessPasses.admitsSession(stamp);
    if (typeof epoch === 'boolean' && typeof device === 'boolean' && typeof pass === 'boolean')
      return epoch && device && pass;
    // All awaited, so a store failure in any is never left unhandled.
    return Promise.all([epoch, device, pass]).then(([a, b, c]) => a && b && c);
  };
}
