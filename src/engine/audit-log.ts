// The engine's one audit helper: a service says what happened (`{ type, …its fields }`), for
// whom and in which request; the helper adds the envelope (the clock's time, the client address,
// the request id kept only when it is well-formed) and sends the event to the configured sink
// and into the repository (for reports). Audit never breaks a sign-in: a failing sink or store
// is reported as a process warning. The envelope and the repository's record are built here
// only (outage-report.ts records through them too).
import { type AuditEvent, type AuditEventBody, type AuditSink, pinoAuditSink } from '../audit/events.ts';
import { safeRequestId } from '../audit/request-id.ts';
import type { AuditEventRecord, Repository } from '../store/ports.ts';
import { type Clock, type RandomSource, randomId } from './capabilities.ts';

/** The request an event belongs to. Other fields of a context passed here are not recorded. */
export interface AuditContext {
  ip?: string | undefined;
  requestId?: string | undefined;
}

/** Records one event: `audit(userId, ctx, { type: 'enrolled', methodId, methodKind })`. */
export type AuditLog = (userId: string | null, ctx: AuditContext, event: AuditEventBody) => Promise<void>;

/** The event with its envelope first, so a JSON line reads type, time, user, address, request, then the rest. */
export function auditEvent(
  clock: Clock,
  userId: string | null,
  ctx: AuditContext,
  body: AuditEventBody,
): AuditEvent {
  const requestId = safeRequestId(ctx.requestId);
  return Object.assign(
    {
      type: body.type,
      at: clock.now(),
      userId,
      ...(ctx.ip !== undefined ? { ip: ctx.ip } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    },
    body,
  );
}

/** The repository's record of an event, under a new id. */
export function auditRecord(event: AuditEvent, random: RandomSource): AuditEventRecord {
  return {
    id: randomId(random, 12),
    at: event.at,
    type: event.type,
    userId: event.userId,
    data: { ...event, type: undefined, at: undefined, userId: undefined },
  };
}

export const warnAuditFailure = (reason: unknown) =>
  process.emitWarning(`mfakit audit sink failed: ${(reason as Error)?.message ?? String(reason)}`);

export function createAuditLog(deps: {
  sink: AuditSink | undefined;
  repository: Pick<Repository, 'appendAudit'>;
  random: RandomSource;
  clock: Clock;
}): AuditLog {
  const sink = deps.sink ?? pinoAuditSink();
  return async (userId, ctx, body) => {
    const event = auditEvent(deps.clock, userId, ctx, body);
    // Each destination on its own: a sink that throws (even synchronously) does not keep the
    // event from the repository, nor the other way round.
    const outcomes = await Promise.allSettled([
      (async () => sink(event))(),
      (async () => deps.repository.appendAudit(auditRecord(event, deps.random)))(),
    ]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') warnAuditFailure(outcome.reason);
  };
}
