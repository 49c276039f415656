// Whether a session's stamp still stands, the per-request check every integration makes
// (`mfa.isCurrent`): not older than the user's last session revocation (session epochs), and,
// when a remembered device let the sign-in skip MFA, while that device is not revoked nor
// expired — revoking a device ("restore MFA on remembered devices", an admin reset) ends the
// sessions it admitted. A remembered-device stamp that names no device (from before this
// rule) is refused: it must sign in again. Both checks answer from in-process caches, so on
// the hot path the answer is a boolean; a promise only when a store must be asked.
import type { SessionEpochs } from './session-epochs.ts';
import type { AuthStamp } from './stamp.ts';

export type CurrentSessionCheck = (stamp: AuthStamp) => boolean | Promise<boolean>;

export function createCurrentSessionCheck(
  epochs: Pick<SessionEpochs, 'isCurrent'>,
  devices: { isLive(userId: string, deviceId: string): boolean | Promise<boolean> },
): CurrentSessionCheck {
  return (stamp) => {
    const epoch = epochs.isCurrent(stamp);
    if (stamp.skippedBy !== 'remembered_device') return epoch;
    const device =
      stamp.rememberedDeviceId === undefined ? false : devices.isLive(stamp.userId, stamp.rememberedDeviceId);
    if (typeof epoch === 'boolean' && typeof device === 'boolean') return epoch && device;
    // Both awaited, so a store failure in either is never left unhandled.
    return Promise.all([epoch, device]).then(([a, b]) => a && b);
  };
}
