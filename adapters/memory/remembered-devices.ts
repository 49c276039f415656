// Remembered devices in memory: one map by device id.
import type { RememberedDeviceRecord, RememberedDeviceStore } from '../../src/store/ports.ts';
import { copy } from './copy.ts';

export class MemoryRememberedDeviceStore implements RememberedDeviceStore {
  #devices = new Map<string, RememberedDeviceRecord>();

  async insertDevice(device: RememberedDeviceRecord) {
    if (this.#devices.has(device.id)) throw new Error(`device ${device.id} exists`);
    this.#devices.set(device.id, copy(device));
  }
  async getDevice(id: string) {
    const d = this.#devices.get(id);
    return d ? copy(d) : null;
  }
  async listDevices(userId: string) {
    return [...this.#devices.values()]
      .filter((d) => d.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(copy);
  }
  async touchDevice(id: string, at: number) {
    const d = this.#devices.get(id);
    if (d) d.lastUsedAt = at;
  }
  async revokeDevice(userId: string, id: string, at: number) {
    const d = this.#devices.get(id);
    if (!d || d.userId !== userId || d.revokedAt !== null) return false;
    d.revokedAt = at;
    return true;
  }
  async revokeAllDevices(userId: string, at: number) {
    let n = 0;
    for (const d of this.#devices.values()) {
      if (d.userId === userId && d.revokedAt === null) {
        d.revokedAt = at;
        n++;
      }
    }
    return n;
  }
}
