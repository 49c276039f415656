// Remembered devices: the server-side record behind a "don't ask again on this device" cookie
// (only a hash of the cookie's secret is stored), kept after revocation so it can be listed.
// The contract checks: an existing id is refused on insert, lists are the user's own, oldest
// first, revoked ones included; a device is revoked once, by its owner only (fifty concurrent
// revokes: exactly one true); touching sets the last use and nothing else.

export interface RememberedDeviceRecord {
  id: string;
  userId: string;
  /** HMAC of the cookie's secret part; the cookie value itself is never stored. */
  secretHash: string;
  userAgent: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface RememberedDeviceStore {
  insertDevice(device: RememberedDeviceRecord): Promise<void>;
  getDevice(id: string): Promise<RememberedDeviceRecord | null>;
  /** Oldest first, revoked ones included. */
  listDevices(userId: string): Promise<RememberedDeviceRecord[]>;
  touchDevice(id: string, at: number): Promise<void>;
  /** Revokes a live device of `userId`; false if absent, another user's or already revoked. */
  revokeDevice(userId: string, id: string, at: number): Promise<boolean>;
  revokeAllDevices(userId: string, at: number): Promise<number>;
}
