// Opening the database file every SQLite store shares: the connection pragmas (WAL, a busy
// timeout so concurrent writers wait for each other instead of failing) and the migration.
import { DatabaseSync } from 'node:sqlite';
import { migrateSqliteDatabase } from './migrations.ts';

/** Opens (creating if needed) a database file, sets the connection pragmas and migrates the schema. */
export function openSqliteDatabase(
  path: string,
  options: { busyTimeoutMs?: number | undefined } = {},
): DatabaseSync {
  // The busy timeout must be given here: it has to be in force before the first statement,
  // including the journal_mode switch and the migration, which take locks.
  const db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;');
    migrateSqliteDatabase(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
