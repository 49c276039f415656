// Requests from registered devices (a push app), answered for every integration alike: the
// activation of a registration, the notifications waiting for a device, and its answer to one.
// The method checks each request's signature and rules (src/methods/push/device-requests.ts);
// this service routes to it, audits what happened — `device_activated`, and refusals once a
// minute per reason, user and client network (refusal-audit.ts: a flood of forged requests
// writes a row a minute, not a row each) — and records an answer as every approval answer is
// (approval-answers.ts: on a fraud report the user's fraud flag first, which signs them out
// everywhere and stops all sends to them until an administrator clears it; then
// `push_answered`). Refusals no registered device signed (junk, unknown devices, forged
// signatures, unknown activation codes) are counted per client network; past `REFUSALS_MAX` in
// `REFUSAL_WINDOW_MS` that network's activations are refused outright (429) until the window
// passes. Requests of registered devices are never held back by it, so junk sent from behind
// the same NAT cannot stop anyone's approvals.
import type { JsonValue } from '../store/ports.ts';
import type { Administration } from './administration.ts';
import { recordApprovalAnswer } from './approval-answers.ts';
import type { EngineContext } from './engine-context.ts';
import { addressBucket } from './lockout.ts';
import { createRefusalAuditor } from './refusal-audit.ts';
import type { RequestContext } from './sign-in-types.ts';

export type DeviceAction = 'activate' | 'pending' | 'answer';

/** What to answer the device: an HTTP status and a JSON body (`error` and `message` when refused). */
export interface DeviceResponse {
  status: number;
  body: { readonly [field: string]: JsonValue };
  /** Set a Retry-After header with it (429). */
  retryAfterSeconds?: number;
}

export interface DeviceRequestService {
  /** Whether a method with registered devices (push) is enabled: the device API exists. */
  readonly enabled: boolean;
  /** Answers one device request; `body` is the parsed JSON body, unchecked. */
  handle(action: DeviceAction, body: unknown, ctx: RequestContext): Promise<DeviceResponse>;
}

// Refusals are tallied per reason and network for an hour, reported once a minute.
const REFUSAL_TALLY_TTL_MS = 3_600_000;
const REFUSALS_MAX = 30;
const REFUSAL_WINDOW_MS = 600_000;
/** The device API's requests, in the order the README lists them. */
export const DEVICE_ACTIONS: readonly DeviceAction[] = ['activate', 'pending', 'answer'];

export function createDeviceRequestService(
  engine: EngineContext,
  admin: Administration,
): DeviceRequestService {
  const { methods, audit, ephemeral } = engine;
  const method = methods.all.find((m) => m.device !== undefined);
  const device = method?.device;
  const refusalAudit = createRefusalAuditor(ephemeral, 'device', REFUSAL_TALLY_TTL_MS);

  return {
    enabled: method !== undefined,
    async handle(action, body, ctx) {
      if (!method || !device || !DEVICE_ACTIONS.includes(action))
        return { status: 404, body: { error: 'not_found', message: 'No such device request here.' } };
      const refusalsKey = `device-refusals:${addressBucket(ctx.ip)}`;
      if (action === 'activate' && (await ephemeral.getCount(refusalsKey)) >= REFUSALS_MAX) {
        const retryAfterSeconds = Math.ceil(REFUSAL_WINDOW_MS / 1000);
        return {
          status: 429,
          retryAfterSeconds,
          body: {
            error: 'slow_down',
            message: `Too many refused requests from this network. Wait ${retryAfterSeconds} seconds and try again.`,
          },
        };
      }
      const answer = await device[action](body);
      if (!answer.ok) {
        // Not a registered device's (no user resolved): counted against the network.
        if (answer.userId === undefined) await ephemeral.increment(refusalsKey, REFUSAL_WINDOW_MS);
        const report = await refusalAudit(
          `${answer.detail}:${answer.userId ?? '-'}:${addressBucket(ctx.ip)}`,
        );
        if (report)
          await audit(answer.userId ?? null, ctx, {
            type: 'device_request_refused',
            detail: answer.detail,
            data: { action, ...(report.unreported > 0 ? { unreported: report.unreported } : {}) },
          });
        return { status: answer.status, body: { error: answer.error, message: answer.message } };
      }
      const { event } = answer;
      if (event?.type === 'activated')
        await audit(answer.userId, ctx, { type: 'device_activated', methodKind: method.kind });
      if (event?.type === 'answered' && answer.methodId !== null)
        await recordApprovalAnswer(
          engine,
          admin,
          'push_answered',
          {
            userId: answer.userId,
            methodId: answer.methodId,
            methodKind: method.kind,
            answer: event.answer,
            reason: event.detail ?? null,
          },
          ctx,
        );
      return { status: 200, body: answer.body };
    },
  };
}
