// For CLI tests on SQLite: each test gets fresh database files in one temporary directory, with
// the stores the test opened on them closed after it, and the directory removed after the suite.
// Call it inside a `describe`: it registers those hooks there. `pathIn(name)`: a path in that directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import type { Stores } from '../../src/store/ports.ts';

/** A fresh file's stores and the CLI arguments naming it (`--db FILE` or `--store sqlite:FILE`). */
export type FreshSqliteFile = (flag: 'db' | 'store') => Promise<{ stores: Stores; args: string[] }>;

export function cliSqliteFiles(prefix: string): { fresh: FreshSqliteFile; pathIn(name: string): string } {
  let dir = '';
  let files = 0;
  const opened: Stores[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close?.();
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    async fresh(flag) {
      const path = join(dir, `app-${files++}.sqlite`);
      const stores = createSqliteStores({ path });
      opened.push(stores);
      return { stores, args: flag === 'db' ? ['--db', path] : ['--store', `sqlite:${path}`] };
    },
    /** A path in the directory that no file has yet. */
    pathIn: (name) => join(dir, name),
  };
}
