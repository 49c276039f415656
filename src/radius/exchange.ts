// One Access-Request's answer, the sign-in as RADIUS carries it. Without `State`: the user name
// and password go through the first-factor gate (its throttle and audit; an app password scoped
// to the configured app signs in without a challenge, engine permitting), then the engine
// decides (conditional access sees clientAppType 'legacy' and the configured app): Accept,
// Reject, or an Access-Challenge whose random `State` stands for the pending sign-in (in the
// ephemeral store, short-lived). With `State`: the password field carries the user's answer —
// a code, a word that sends one (`push`, `sms`, `call`), or nothing (after a notification or a
// keypad call was sent: "I approved it"). A user whose default method sends is sent to it at
// once, with the first challenge. Every other decision (the lockout, replays, the policies) is
// the engine's, as for the web integrations. Nothing typed is logged or audited here.
import { randomBytes } from 'node:crypto';
import type { CodeSender } from '../engine/code-sending.ts';
import type { FirstFactorGate } from '../engine/first-factor-gate.ts';
import type { Mfa } from '../engine/mfa.ts';
import type { PendingPrincipal } from '../engine/pending.ts';
import type { RequestContext, VerifyOutcome } from '../engine/sign-in-types.ts';
import type { EphemeralStore } from '../store/ports.ts';
import { approvalPrompt } from '../web/approval-words.ts';
import {
  APPROVED,
  BLOCKED,
  codeSentPrompt,
  EXPIRED,
  MUST_ENROLL,
  NEEDS_BROWSER,
  promptFor,
  SEND_WORDS,
  tooMany,
  WRONG_CODE,
  WRONG_CREDENTIALS,
} from './messages.ts';
import type { AccessRequest, Reply } from './packet.ts';

export interface ExchangeDeps {
  mfa: Mfa;
  gate: FirstFactorGate;
  ephemeral: EphemeralStore;
  app: string;
  challengeTtlSeconds: number;
}

/** The NAS's view of the request: who sent it, and the address the user is at. */
export interface RequestOrigin {
  /** The configured client's name, for the user agent the engine records. */
  client: string;
  ip: string;
  /** Whether `ip` may lift MFA by a trusted network (the user's own address, and allowed). */
  allowTrustedNetwork: boolean;
  requestId: string;
}

const STATE_BYTES = 16;
const stateKey = (state: Buffer) => `radius:state:${state.toString('hex')}`;

/**
 * What a State stands for: the pending sign-in, and who may answer it — the same user name,
 * through the same client (NAS), for the same application. A State seen on the wire and sent
 * by another client, under another name or without one, answers nothing.
 */
interface Challenged {
  pendingId: string;
  user: string;
  client: string;
  app: string;
  /** A notification or keypad call was sent: an empty answer asks whether it was approved. */
  pushed?: boolean;
}

function readChallenged(raw: string | null): Challenged | null {
  if (raw === null) return null;
  try {
    const c = JSON.parse(raw) as Partial<Challenged>;
    return typeof c.pendingId === 'string' &&
      typeof c.user === 'string' &&
      typeof c.client === 'string' &&
      typeof c.app === 'string'
      ? { pendingId: c.pendingId, user: c.user, client: c.client, app: c.app, pushed: c.pushed === true }
      : null;
  } catch {
    return null;
  }
}

const reject = (replyMessage: string): Reply => ({ code: 'Access-Reject', replyMessage });
const accept = (): Reply => ({ code: 'Access-Accept', replyMessage: APPROVED });

export function createExchange(deps: ExchangeDeps) {
  const { mfa, gate, ephemeral } = deps;
  const ttlMs = () => Math.min(deps.challengeTtlSeconds, mfa.settings.pendingTtlSeconds) * 1000;

  /** A challenge: a new State for `challenged`, or `state` again (written anew when `changed`). */
  async function challenge(
    challenged: Challenged,
    replyMessage: string,
    state?: Buffer,
    changed = false,
  ): Promise<Reply> {
    const fresh = state ?? randomBytes(STATE_BYTES);
    if (!state || changed) await ephemeral.put(stateKey(fresh), JSON.stringify(challenged), ttlMs());
    return { code: 'Access-Challenge', replyMessage, state: fresh };
  }

  /** The senders the prompt offers: no passkey challenge is begun (RADIUS cannot answer one). */
  const sendersOf = async (pending: PendingPrincipal | string) =>
    (await mfa.pendingPrompt(pending, { challenges: false })).senders;

  /** Ends a challenge: its State answers nothing more, and the pending sign-in is dropped. */
  async function finish(state: Buffer, pendingId: string, reply: Reply): Promise<Reply> {
    await ephemeral.delete(stateKey(state));
    if (reply.code === 'Access-Reject') await mfa.cancelPending(pendingId);
    return reply;
  }

  async function start(userName: string, password: string, origin: RequestOrigin): Promise<Reply> {
    const ctx: RequestContext = { ip: origin.ip, requestId: origin.requestId };
    // One password field: an app password for this app (no challenge follows), else the account's.
    const first = await gate.signIn({
      identifier: userName,
      secret: password,
      kind: 'legacyClient',
      app: deps.app,
      ...ctx,
    });
    // Throttled and home-realm refusals read as a wrong password: the gate audits which it was.
    if (!first.ok) return reject(WRONG_CREDENTIALS);
    const started = await mfa.beginSignIn({
      userId: first.accountId,
      amr: first.amr,
      ...ctx,
      userAgent: `RADIUS client ${origin.client}`,
      app: deps.app,
      clientAppType: 'legacy',
      allowTrustedNetwork: origin.allowTrustedNetwork,
    });
    if (started.status === 'complete') return accept();
    if (started.status === 'blocked')
      return reject(started.signInAgain ? MUST_ENROLL : (started.decision.userMessage ?? BLOCKED));
    const { pending, decision } = started;
    // Registering a method needs a browser (a QR code, a passkey): not over RADIUS. Nor does a
    // sign-in whose policies need a stronger method than the user has (interrupt mode).
    if (decision.step !== 'second_factor') {
      await mfa.cancelPending(pending.id);
      return reject(decision.step === 'enroll' ? MUST_ENROLL : (decision.userMessage ?? NEEDS_BROWSER));
    }
    const challenged: Challenged = {
      pendingId: pending.id,
      user: userName,
      client: origin.client,
      app: deps.app,
    };
    const offer = await mfa.pendingPrompt(pending, { challenges: false });
    const preferred = offer.defaultMethod;
    if (preferred?.sends) {
      // The user's default method sends (a notification, a text, a call): sent at once, the
      // password being right, as Azure MFA's NPS extension does — the user only answers it.
      const state = randomBytes(STATE_BYTES);
      await ephemeral.put(stateKey(state), JSON.stringify(challenged), ttlMs());
      return send(state, challenged, pending, preferred.kind, ctx, offer.senders);
    }
    return challenge(challenged, promptFor(offer.senders, decision.userMessage));
  }

  /** The user typed a word that sends a code: the send, and what to type next. */
  async function send(
    state: Buffer,
    c: Challenged,
    pending: PendingPrincipal,
    kind: string,
    ctx: RequestContext,
    offered?: CodeSender[],
  ): Promise<Reply> {
    // The prompt's senders, when the caller has just read them (the first challenge).
    const senders = offered ?? (await sendersOf(pending));
    const sender = senders.find((s) => s.kind === kind);
    if (!sender) return challenge(c, promptFor(senders, null), state);
    const sent = await mfa.sendPendingCode(c.pendingId, sender.methodId, ctx);
    if (sent.ok && sent.number !== undefined)
      return challenge(
        { ...c, pushed: true },
        approvalPrompt({ ...sent, number: sent.number }),
        state,
        !c.pushed,
      );
    if (sent.ok) return challenge(c, codeSentPrompt(sent.to), state);
    if (sent.error === 'pending_expired') return finish(state, c.pendingId, reject(EXPIRED));
    const why =
      sent.error === 'slow_down' || sent.error === 'send_blocked'
        ? sent.message
        : sent.error === 'delivery_failed'
          ? 'That could not be sent.'
          : 'That method cannot be used here.';
    return challenge(c, `${why} ${promptFor(senders, null)}`, state);
  }

  /** A verification's answer: Accept, Challenge again (a notification not answered yet), or Reject. */
  async function settle(state: Buffer, c: Challenged, outcome: VerifyOutcome): Promise<Reply> {
    if (outcome.ok) return finish(state, c.pendingId, accept());
    switch (outcome.error) {
      case 'approval_pending':
        return challenge(c, approvalPrompt(outcome.approval), state);
      case 'invalid_code':
        return finish(state, c.pendingId, reject(WRONG_CODE));
      case 'locked':
      case 'slow_down':
        return finish(state, c.pendingId, reject(tooMany(outcome.retryAfterSeconds)));
      case 'pending_expired':
        return finish(state, c.pendingId, reject(EXPIRED));
      case 'must_enroll':
        return finish(state, c.pendingId, reject(MUST_ENROLL));
      case 'strength_unavailable':
        return finish(state, c.pendingId, reject(outcome.message));
    }
  }

  async function answer(request: AccessRequest, state: Buffer, origin: RequestOrigin): Promise<Reply> {
    const ctx: RequestContext = { ip: origin.ip, requestId: origin.requestId };
    const c = readChallenged(await ephemeral.get(stateKey(state)));
    if (!c) return reject(EXPIRED);
    if (request.userName !== c.user || origin.client !== c.client || deps.app !== c.app)
      return reject(EXPIRED);
    const pending = await mfa.getPending(c.pendingId);
    if (!pending) return finish(state, c.pendingId, reject(EXPIRED));
    const typed = (request.password ?? '').trim();
    const word = SEND_WORDS.find((w) => w.word === typed.toLowerCase());
    if (word) return send(state, c, pending, word.kind, ctx);
    if (typed === '') {
      // Enter after a notification or keypad call: the engine says whether it was approved
      // (waiting: the prompt again; denied: rejected like a wrong code). Before any: the prompt again.
      if (!c.pushed) return challenge(c, promptFor(await sendersOf(pending), null), state);
      return settle(state, c, await mfa.verifyPending(c.pendingId, { push: true }, ctx));
    }
    return settle(state, c, await mfa.verifyPending(c.pendingId, { code: typed }, ctx));
  }

  return {
    /** The reply to a checked Access-Request. */
    async reply(request: AccessRequest, origin: RequestOrigin): Promise<Reply> {
      // Two States: which challenge is meant is unclear, and the password field holds an answer,
      // not a password — refused without reaching the password check.
      if (request.ambiguousState) return reject(EXPIRED);
      if (request.state) return answer(request, request.state, origin);
      if (request.userName === null || request.password === null) return reject(WRONG_CREDENTIALS);
      return start(request.userName, request.password, origin);
    },
  };
}
