// What the servers under a benchmark did, as running totals read off the servers themselves:
// PostgreSQL's committed transactions in the bench's database (pg_stat_database) and the commands
// Redis processed (INFO stats). Differences of two readings over a run, divided by its flows, give
// the store work per flow whatever process asked for it. Counts include other clients of the
// same database or server, and the probe's own one query per reading.
import pg from 'pg';
import { createClient } from 'redis';

export interface ServerActivity {
  pgTransactions: number;
  redisCommands: number;
}

export async function openActivityProbe(databaseUrl: string, redisUrl: string) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  return {
    async read(): Promise<ServerActivity> {
      // PostgreSQL publishes a backend's counts when it goes idle, within a second at most.
      const [stats, info] = await Promise.all([
        db.query<{ xacts: string }>(
          'SELECT xact_commit AS xacts FROM pg_stat_database WHERE datname = current_database()',
        ),
        redis.info('stats'),
      ]);
      return {
        pgTransactions: Number(stats.rows[0]?.xacts ?? 0),
        redisCommands: Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0),
      };
    },
    async close() {
      await Promise.allSettled([db.end(), redis.close()]);
    },
  };
}
