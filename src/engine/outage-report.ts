// Store outages as the integrations meet them: a request whose store failed (a StoreError) is
// answered 503, and the integration hands the error here. Each store's outage is audited as
// `store_unavailable` at most once per interval on the engine's clock, so a burst of failing
// requests is one event (the next one counts the failures left unrecorded meanwhile). The sink
// gets the event at once; the repository — which may be the very store that failed — gets it as
// soon as it accepts it: a refused write is kept and retried in the background, so the outage
// reaches the audit log once the audit store is reachable again, with the time it happened.
import type { AuditSink } from '../audit/events.ts';
import { StoreError } from '../errors.ts';
import type { AuditEventRecord, Repository } from '../store/ports.ts';
import { type AuditContext, auditEvent, auditRecord, warnAuditFailure } from './audit-log.ts';
import type { Clock, RandomSource } from './capabilities.ts';

/** One `store_unavailable` event per store per minute at most. */
export const OUTAGE_AUDIT_INTERVAL_MS = 60_000;
/** How often an event the repository refused is offered to it again. */
const RETRY_MS = 1_000;
/** Events kept for a repository that is away (one per store per interval: hours of outage). */
const MAX_UNSTORED = 200;
/** The longest `data.message` kept from the store's error. */
const MESSAGE_MAX = 200;

/**
 * Reports `error` if it is a store failure (a StoreError): audited as above, and true, so the
 * caller answers 503. Anything else: false, and nothing is recorded.
 */
export type OutageReport = (error: unknown, ctx: AuditContext) => boolean;

export function createOutageReport(deps: {
  sink: AuditSink;
  repository: Pick<Repository, 'appendAudit'>;
  clock: Clock;
  random: RandomSource;
  intervalMs?: number;
}): OutageReport {
  const { sink, repository, clock, random } = deps;
  const intervalMs = deps.intervalMs ?? OUTAGE_AUDIT_INTERVAL_MS;
  const lastAudited = new Map<string, number>();
  const suppressed = new Map<string, number>();
  const unstored: AuditEventRecord[] = [];
  let storing = false;
  let retry: NodeJS.Timeout | null = null;
  let warned = false;

  /** Offers the kept events to the repository in order; on a refusal, tries again later. */
  async function store(): Promise<void> {
    if (storing) return;
    storing = true;
    try {
      for (let record = unstored[0]; record !== undefined; record = unstored[0]) {
        await repository.appendAudit(record);
        unstored.shift();
      }
      warned = false;
    } catch (error) {
      if (!warned)
        process.emitWarning(
          `mfakit: store_unavailable kept until the audit log accepts it: ${(error as Error)?.message ?? String(error)}`,
        );
      warned = true;
      retry ??= setTimeout(() => {
        retry = null;
        void store();
      }, RETRY_MS);
      // A process may end during an outage: the retry never keeps it alive.
      retry.unref();
    } finally {
      storing = false;
    }
  }

  return (error, ctx) => {
    if (!(error instanceof StoreError)) return false;
    const name = error.store ?? 'store';
    const now = clock.now();
    const last = lastAudited.get(name);
    if (last !== undefined && now - last < intervalMs) {
      suppressed.set(name, (suppressed.get(name) ?? 0) + 1);
      return true;
    }
    lastAudited.set(name, now);
    const event = auditEvent(clock, null, ctx, {
      type: 'store_unavailable',
      detail: name,
      data: { message: error.message.slice(0, MESSAGE_MAX), suppressed: suppressed.get(name) ?? 0 },
    });
    suppressed.delete(name);
    (async () => sink(event))().catch(warnAuditFailure);
    if (unstored.length < MAX_UNSTORED) unstored.push(auditRecord(event, random));
    void store();
    return true;
  };
}
