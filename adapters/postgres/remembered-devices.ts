// Remembered devices on PostgreSQL: the `devices` table, listed by creation time then insertion
// order (`seq`). Revoking is one conditional UPDATE (only a live device of that user), so one of
// any number of concurrent revokes wins, in any process. Expects a migrated schema.
import type { RememberedDeviceRecord, RememberedDeviceStore } from '../../src/store/ports.ts';
import { DEVICE_COLUMNS } from '../shared/row-records.ts';
import { isUniqueViolation, type PostgresDatabase, run, statement } from './queries.ts';
import { toRecord } from './rows.ts';

export class PostgresRememberedDeviceStore implements RememberedDeviceStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async insertDevice(device: RememberedDeviceRecord) {
    try {
      await run(this.#db.pool, this.#sql.insertDevice, [
        device.id,
        device.userId,
        device.secretHash,
        device.userAgent,
        device.createdAt,
        device.lastUsedAt,
        device.expiresAt,
        device.revokedAt,
      ]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new Error(`device ${device.id} exists`, { cause: error });
      throw error;
    }
  }
  async getDevice(id: string) {
    const row = (await run(this.#db.pool, this.#sql.getDevice, [id])).rows[0];
    return row ? toRecord.device(row) : null;
  }
  async listDevices(userId: string) {
    return (await run(this.#db.pool, this.#sql.listDevices, [userId])).rows.map(toRecord.device);
  }
  async touchDevice(id: string, at: number) {
    await run(this.#db.pool, this.#sql.touchDevice, [id, at]);
  }
  async revokeDevice(userId: string, id: string, at: number) {
    return (await run(this.#db.pool, this.#sql.revokeDevice, [id, userId, at])).rowCount === 1;
  }
  async revokeAllDevices(userId: string, at: number) {
    return (await run(this.#db.pool, this.#sql.revokeAllDevices, [userId, at])).rowCount ?? 0;
  }
}

function prepare(db: PostgresDatabase) {
  const devices = db.table('devices');
  return {
    insertDevice: statement(
      `INSERT INTO ${devices} (${DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    ),
    getDevice: statement(`SELECT ${DEVICE_COLUMNS} FROM ${devices} WHERE id = $1`),
    listDevices: statement(
      `SELECT ${DEVICE_COLUMNS} FROM ${devices} WHERE user_id = $1 ORDER BY created_at, seq`,
    ),
    touchDevice: statement(`UPDATE ${devices} SET last_used_at = $2 WHERE id = $1`),
    revokeDevice: statement(
      `UPDATE ${devices} SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
    ),
    revokeAllDevices: statement(
      `UPDATE ${devices} SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
    ),
  };
}
