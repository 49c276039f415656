// `mfakit audit prune --older-than DURATION STORE`: audit retention on an application's stores
// (`--store` or `--db`, stores.ts), through `mfa.admin.pruneAuditLog`: the events older than
// the duration are deleted in batches, then one `audit_pruned` event (by "cli") records the run.
// Nothing is pruned unless this (or the engine call) runs: schedule it. A retention under one
// day, `--older-than 0` included, is refused with exit 2 before the store is opened.
import { DAY_MS, MAX_PRUNE_BATCH } from '../engine/audit-retention.ts';
import { MfaError } from '../errors.ts';
import { BY, LOCAL, parse, parseMinutes, positionals } from './args.ts';
import type { CliIo, Open } from './main.ts';
import { STORE_OPTIONS, storeOf } from './stores.ts';
import { UsageError } from './usage.ts';

export async function audit(args: string[], io: CliIo, open: Open): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('audit needs a subcommand: prune');
  if (sub !== 'prune') throw new UsageError(`unknown audit subcommand "${sub}"`);
  const { values, positionals: got } = parse(rest, {
    'older-than': { type: 'string' },
    ...STORE_OPTIONS,
    batch: { type: 'string' },
    json: { type: 'boolean' },
  });
  positionals(got, [], 'audit prune');
  if (values['older-than'] === undefined)
    throw new UsageError('audit prune needs --older-than DURATION (e.g. 90d): how long events are kept');
  const olderThanMs = parseMinutes('--older-than', values['older-than']) * 60_000;
  if (olderThanMs < DAY_MS)
    throw new UsageError(
      `--older-than must be at least 1d, so that recent events are never pruned (got "${values['older-than']}")`,
    );
  const batchSize =
    values.batch === undefined ? undefined : /^\d{1,5}$/.test(values.batch) ? Number(values.batch) : 0;
  if (batchSize !== undefined && (batchSize < 1 || batchSize > MAX_PRUNE_BATCH))
    throw new UsageError(
      `--batch must be a number of events from 1 to ${MAX_PRUNE_BATCH} (got "${values.batch}")`,
    );
  const spec = storeOf(values, io.env);
  if (!spec) throw new UsageError('audit prune needs --store (or --db FILE)');

  const mfa = await open({ kind: 'store', spec }, io.env);
  let result: { before: number; count: number };
  try {
    result = await mfa.admin.pruneAuditLog({ olderThanMs, by: BY, batchSize }, LOCAL);
  } catch (err) {
    if (err instanceof MfaError && err.code === 'audit_prune_invalid') throw new UsageError(err.message);
    throw err;
  }
  const before = new Date(result.before).toISOString();
  if (values.json) io.stdout(`${JSON.stringify({ removed: result.count, before }, null, 2)}\n`);
  else
    io.stdout(
      `removed ${result.count} audit event${result.count === 1 ? '' : 's'} from before ${before}; ` +
        `recorded as audit_pruned by ${BY}\n`,
    );
}
