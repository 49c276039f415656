// Audit retention (`mfa.admin.pruneAuditLog`): deletes the audit events older than a bound, in
// batches through the store's `pruneAudit`, then records one `audit_pruned` event saying up to
// when, how many and who asked, so the trail shows it was cut. Nothing calls it on its own: the
// operator runs it (`mfakit audit prune`, or a scheduled job). A bound in the future or less
// than a day back is refused (400): a typo in a retention must not wipe the log.
import { MfaError } from '../errors.ts';
import type { AuditStore } from '../store/ports.ts';
import type { AuditContext, AuditLog } from './audit-log.ts';
import type { Clock } from './capabilities.ts';

export const DAY_MS = 86_400_000;
export const DEFAULT_PRUNE_BATCH = 1000;
export const MAX_PRUNE_BATCH = 10_000;

export interface PruneAuditRequest {
  /** Deletes the events older than this many ms before now; at least one day. Or `before`. */
  olderThanMs?: number | undefined;
  /** Deletes the events before this time (ms since the epoch), at least one day ago. Or `olderThanMs`. */
  before?: number | undefined;
  /** Who asked (an administrator's name, `cli`), recorded in the `audit_pruned` event; null when unknown. */
  by: string | null;
  /** Events deleted per store statement, 1 to 10000; default 1000. */
  batchSize?: number | undefined;
}

export interface PruneAuditResult {
  /** The bound: every event before it was deleted (ms since the epoch). */
  before: number;
  /** How many events were deleted. */
  count: number;
}

const invalid = (message: string) => new MfaError('audit_prune_invalid', message, 400);

/** The bound a request names, checked against the clock: never later than a day ago. */
function boundOf(request: PruneAuditRequest, now: number): number {
  const { olderThanMs, before } = request;
  if ((olderThanMs === undefined) === (before === undefined))
    throw invalid('name exactly one of olderThanMs (a retention) and before (a time)');
  if (olderThanMs !== undefined) {
    if (typeof olderThanMs !== 'number' || !Number.isFinite(olderThanMs))
      throw invalid('olderThanMs must be a number of milliseconds');
    if (olderThanMs < DAY_MS)
      throw invalid(
        `the retention must be at least 1 day (got ${olderThanMs} ms): ` +
          'recent events are what an investigation needs first',
      );
    return Math.floor(now - olderThanMs);
  }
  if (typeof before !== 'number' || !Number.isFinite(before))
    throw invalid('before must be a time in ms since the epoch');
  if (before > now)
    throw invalid(
      `before is in the future (${new Date(before).toISOString()}): that would delete every event`,
    );
  if (before > now - DAY_MS)
    throw invalid(
      `before must be at least 1 day ago (got ${new Date(before).toISOString()}): ` +
        'recent events are what an investigation needs first',
    );
  return Math.floor(before);
}

export async function pruneAuditLog(
  deps: { store: Pick<AuditStore, 'pruneAudit'>; clock: Clock; audit: AuditLog },
  request: PruneAuditRequest,
  ctx: AuditContext = {},
): Promise<PruneAuditResult> {
  if (typeof request !== 'object' || request === null) throw invalid('a prune request is required');
  const { by } = request;
  if (by !== null && typeof by !== 'string') throw invalid('by must name who asked, or be null');
  const batch = request.batchSize ?? DEFAULT_PRUNE_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_PRUNE_BATCH)
    throw invalid(`batchSize must be a whole number from 1 to ${MAX_PRUNE_BATCH} (got ${String(batch)})`);
  const before = boundOf(request, deps.clock.now());
  let count = 0;
  // A short batch means nothing old is left (on PostgreSQL: nothing another prune is not
  // already deleting), so the loop ends without an empty round trip.
  for (;;) {
    const deleted = await deps.store.pruneAudit(before, batch);
    count += deleted;
    if (deleted < batch) break;
  }
  await deps.audit(null, ctx, { type: 'audit_pruned', data: { before, count, by } });
  return { before, count };
}
