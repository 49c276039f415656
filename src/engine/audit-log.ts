// The engine's one audit helper: every event goes to the configured sink and into the
// repository (for reports), with a client's request id kept only when it is well-formed. Audit
// never breaks a sign-in: a failing sink or store is reported as a process warning.
import { type AuditEvent, type AuditSink, pinoAuditSink } from '../audit/events.ts';
import { safeRequestId } from '../audit/request-id.ts';
import type { Repository } from '../store/ports.ts';
import { type RandomSource, randomId } from './capabilities.ts';

export type AuditLog = (event: AuditEvent) => Promise<void>;

export function createAuditLog(deps: {
  sink: AuditSink | undefined;
  repository: Pick<Repository, 'appendAudit'>;
  random: RandomSource;
}): AuditLog {
  const sink = deps.sink ?? pinoAuditSink();
  return async (input) => {
    const { requestId, ...rest } = input;
    const safeId = safeRequestId(requestId);
    const event: AuditEvent = safeId === undefined ? rest : { ...rest, requestId: safeId };
    try {
      await Promise.all([
        sink(event),
        deps.repository.appendAudit({
          id: randomId(deps.random, 12),
          at: event.at,
          type: event.type,
          userId: event.userId,
          data: { ...event, type: undefined, at: undefined, userId: undefined },
        }),
      ]);
    } catch (err) {
      process.emitWarning(`mfakit audit sink failed: ${(err as Error).message}`);
    }
  };
}
