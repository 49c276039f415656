// Remembered devices on SQLite: the `devices` table. Revoking is one conditional UPDATE (only a
// live device of that user), so one of any number of concurrent revokes wins. Expects a
// migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RememberedDeviceRecord, RememberedDeviceStore } from '../../src/store/ports.ts';
import { DEVICE_COLUMNS } from '../shared/row-records.ts';
import { isConstraintViolation, toRecord } from './rows.ts';

export class SqliteRememberedDeviceStore implements RememberedDeviceStore {
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  async insertDevice(device: RememberedDeviceRecord) {
    try {
      this.#sql.insertDevice.run({
        id: device.id,
        userId: device.userId,
        secretHash: device.secretHash,
        userAgent: device.userAgent,
        createdAt: device.createdAt,
        lastUsedAt: device.lastUsedAt,
        expiresAt: device.expiresAt,
        revokedAt: device.revokedAt,
      });
    } catch (error) {
      if (isConstraintViolation(error)) throw new Error(`device ${device.id} exists`, { cause: error });
      throw error;
    }
  }
  async getDevice(id: string) {
    const row = this.#sql.getDevice.get({ id });
    return row ? toRecord.device(row) : null;
  }
  async listDevices(userId: string) {
    return this.#sql.listDevices.all({ userId }).map(toRecord.device);
  }
  async touchDevice(id: string, at: number) {
    this.#sql.touchDevice.run({ id, at });
  }
  async revokeDevice(userId: string, id: string, at: number) {
    return Number(this.#sql.revokeDevice.run({ userId, id, at }).changes) === 1;
  }
  async revokeAllDevices(userId: string, at: number) {
    return Number(this.#sql.revokeAllDevices.run({ userId, at }).changes);
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    insertDevice: sql(
      `INSERT INTO devices (${DEVICE_COLUMNS}) VALUES
       (:id, :userId, :secretHash, :userAgent, :createdAt, :lastUsedAt, :expiresAt, :revokedAt)`,
    ),
    getDevice: sql(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = :id`),
    listDevices: sql(
      `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = :userId ORDER BY created_at, rowid`,
    ),
    touchDevice: sql('UPDATE devices SET last_used_at = :at WHERE id = :id'),
    revokeDevice: sql(
      'UPDATE devices SET revoked_at = :at WHERE id = :id AND user_id = :userId AND revoked_at IS NULL',
    ),
    revokeAllDevices: sql(
      'UPDATE devices SET revoked_at = :at WHERE user_id = :userId AND revoked_at IS NULL',
    ),
  };
}
