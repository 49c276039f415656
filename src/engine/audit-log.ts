// The engine's one audit helper: a service says what happened (`{ type, …its fields }`), for
// whom and in which request; the helper adds the envelope (the clock's time, the client address,
// the request id kept only when it is well-formed) and sends the event to the configured sink
// and into the repository (for reports). Audit never breaks a sign-in: a failing sink or store
// is reported as a process warning.
import { type AuditEvent, type AuditEventBody, type AuditSink, pinoAuditSink } from '../audit/events.ts';
import { safeRequestId } from '../audit/request-id.ts';
import type { Repository } from '../store/ports.ts';
import { type Clock, type RandomSource, randomId } from './capabilities.ts';

/** The request an event belongs to. Other fields of a context passed here are not recorded. */
export interface AuditContext {
  ip?: string | undefined;
  requestId?: string | undefined;
}

/** Records one event: `audit(userId, ctx, { type: 'enrolled', methodId, methodKind })`. */
export type AuditLog = (userId: string | null, ctx: AuditContext, event: AuditEventBody) => Promise<void>;

export function createAuditLog(deps: {
  sink: AuditSink | undefined;
  repository: Pick<Repository, 'appendAudit'>;
  random: RandomSource;
  clock: Clock;
}): AuditLog {
  const sink = deps.sink ?? pinoAuditSink();
  return async (userId, ctx, body) => {
    const requestId = safeRequestId(ctx.requestId);
    // The envelope first, so a JSON line reads type, time, user, address, request, then the rest.
    const event: AuditEvent = Object.assign(
      {
        type: body.type,
        at: deps.clock.now(),
        userId,
        ...(ctx.ip !== undefined ? { ip: ctx.ip } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
      },
      body,
    );
    // Each destination on its own: a sink that throws (even synchronously) does not keep the
    // event from the repository, nor the other way round.
    const outcomes = await Promise.allSettled([
      (async () => sink(event))(),
      (async () =>
        deps.repository.appendAudit({
          id: randomId(deps.random, 12),
          at: event.at,
          type: event.type,
          userId: event.userId,
          data: { ...event, type: undefined, at: undefined, userId: undefined },
        }))(),
    ]);
    for (const outcome of outcomes)
      if (outcome.status === 'rejected')
        process.emitWarning(
          `mfakit audit sink failed: ${(outcome.reason as Error)?.message ?? String(outcome.reason)}`,
        );
  };
}
