// For CLI tests on PostgreSQL: each test gets a fresh schema of the test server, with the stores
// the test opened on it closed after it (before the server's own hook drops the schemas), and the
// CLI's store arguments naming it — by URL (`--store postgres:URL`) or through DATABASE_URL
// (`--store postgres`). `cli(args)` runs the command line in this process with DATABASE_URL set.
// Call it inside a `describe`: it registers those hooks there (and skips without DATABASE_URL).
import { createPostgresStores, type PostgresStores } from '../../adapters/postgres/index.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';
import { mfakitInProcess } from './mfakit-cli.ts';

export function cliPostgresSchemas() {
  const opened: PostgresStores[] = [];
  // Registered before the server's hooks, so it runs first.
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  const server = postgresTestServer();
  return {
    server,
    async fresh(via: 'url' | 'env') {
      const schema = server.freshSchema();
      const stores = await createPostgresStores({ url: server.url, schema });
      opened.push(stores);
      const store = via === 'url' ? ['--store', `postgres:${server.url}`] : ['--store', 'postgres'];
      return { stores, args: [...store, '--schema', schema] };
    },
    cli: (args: string[]) => mfakitInProcess(args, { DATABASE_URL: process.env.DATABASE_URL }),
  };
}
