// Sending to a phone, written once for registration and sign-in, text message and call: a fresh
// 6-digit code from the engine's randomness, the message (the code and the service's name only,
// in the built-in words or `phone.messages`; from `phone.callerId` when given), the placing of a
// keypad call (its words given by the voice method: no code in it), and the send limits — at
// most `perUser.max` sends (codes and keypad calls alike) per user and `perNumber.max` per
// number in their windows, so that neither a user's sign-in nor one number can be flooded (SMS
// pumping, prompt fatigue). A number's sign-in codes (it is registered: its holder proved it)
// and its registration codes (anyone can type it) are counted apart, so nobody can spend the
// registered holder's sign-in budget by starting registrations of their number. A send reserves
// its place in the counts before the provider is called and gives it back if the provider
// fails: a failed send costs the user nothing. (The engine adds a count per client address.)
//
// With no `phone.delivery` the messages go to the development outbox, which prints them: a
// warning says so once, and NODE_ENV=production refuses it (a ConfigError at start), since
// codes and numbers in a log are no second factor.

import type { ResolvedOptions } from '../../engine/options.ts';
import { ConfigError, DeliveryError, SlowDownError } from '../../errors.ts';
import { reservePlaces } from '../../store/count-places.ts';
import type { MethodServices } from '../method.ts';
import { sixRandomDigits } from '../random-digits.ts';
import { type KeypadCall, outboxDelivery, type PhoneDelivery, type PhoneMessage } from './delivery.ts';
import {
  DEFAULT_PHONE_TEMPLATES,
  fillPhoneTemplate,
  type PhoneTemplates,
  serviceNameOf,
} from './message-template.ts';

export type PhoneChannel = PhoneMessage['channel'];

/** Six random digits for a text message or call. */
export const phoneCode = (services: Pick<MethodServices, 'random'>): string =>
  sixRandomDigits(services.random);

/** What the message says: the code and who it is from, in the built-in words or `templates`. */
export function messageText(
  channel: PhoneChannel,
  sender: string,
  code: string,
  templates: PhoneTemplates = {},
): string {
  const name = channel === 'sms' ? 'sms' : 'call';
  return fillPhoneTemplate(name, templates[name] ?? DEFAULT_PHONE_TEMPLATES[name], code, sender);
}

/** Why a code is sent: to prove a number being registered, or to sign in with a registered one. */
export type SendPurpose = 'registration' | 'sign-in';

/** What a send delivers — a message with a code, or a keypad call (no code) — as a refusal names it. */
export type SendKind = 'code' | 'call';

const OVER_LIMIT: Readonly<Record<SendKind, string>> = {
  code: 'Too many codes were sent.',
  call: 'Too many sign-in calls were placed to this phone.',
};

let warnedOutbox = false;

/** The options' provider, or the development outbox (refused under NODE_ENV=production). */
// One development outbox per engine (its resolved options): text messages, code calls and keypad
// calls of every phone method land in the same one, in order.
const developmentOutboxes = new WeakMap<ResolvedOptions, PhoneDelivery>();

function deliveryOf(options: ResolvedOptions): PhoneDelivery {
  const given = options.phone.delivery;
  if (given) return given;
  if (process.env.NODE_ENV === 'production')
    throw new ConfigError(
      'phone.delivery: text message and phone call need an SMS/voice provider; the development outbox only prints codes, and NODE_ENV is production',
    );
  if (!warnedOutbox)
    process.emitWarning(
      'mfakit: no phone.delivery given: text messages and calls go to the development outbox, which prints them (not for production)',
    );
  warnedOutbox = true;
  const outbox = developmentOutboxes.get(options) ?? outboxDelivery();
  developmentOutboxes.set(options, outbox);
  return outbox;
}

export function createPhoneSender(services: MethodServices) {
  const { ephemeral, hasher } = services;
  const { perUser, perNumber } = services.options.phone;
  const delivery = deliveryOf(services.options);
  const sender = serviceNameOf(services.options);
  const { callerId, messages } = services.options.phone;
  // Absent, not undefined, without a caller ID: the provider uses its default number.
  const from = callerId === undefined ? {} : { from: callerId };

  /** The counts a send to `number` for `userId` takes a place in (the number only as a keyed hash). */
  const countsOf = (userId: string, number: string, purpose: SendPurpose) =>
    [
      { key: `phone-sends:user:${userId}`, ...perUser },
      {
        key: `phone-sends:${purpose === 'sign-in' ? 'to' : 'register'}:${hasher.hash('phone-number', number)}`,
        ...perNumber,
      },
    ].map((c) => ({ ...c, windowMs: c.windowSeconds * 1000 }));

  /**
   * Takes a place in each count for a send of `kind` to `number` — a SlowDownError (429) naming
   * what was sent too often when a limit is reached — and says how to give them back (the send
   * failed: it costs the user nothing).
   */
  async function reserve(userId: string, number: string, purpose: SendPurpose, kind: SendKind) {
    const reserved = await reservePlaces(ephemeral, countsOf(userId, number, purpose));
    if (!reserved.ok)
      throw new SlowDownError(
        `${OVER_LIMIT[kind]} Wait ${reserved.full.windowSeconds} seconds and try again.`,
        reserved.full.windowSeconds,
      );
    return { release: reserved.release };
  }

  return {
    reserve,

    /**
     * Sends `code` to `number` over `channel`. A SlowDownError (429) when a limit is reached,
     * a DeliveryError (503 `delivery_failed`) when the provider refused; nothing counted then.
     */
    async send(
      channel: PhoneChannel,
      userId: string,
      number: string,
      code: string,
      purpose: SendPurpose,
    ): Promise<void> {
      const reserved = await reserve(userId, number, purpose, 'code');
      try {
        const text = messageText(channel, sender, code, messages);
        await delivery.send({ channel, to: number, ...from, text, code });
      } catch (err) {
        await reserved.release();
        throw new DeliveryError({ cause: err });
      }
    },

    /** Whether keypad calls can be placed: the provider has `call` (the outbox does). */
    placesCalls: typeof delivery.call === 'function',

    /** Places a keypad call (its places reserved by the caller), from the caller ID; rejects as the provider does. */
    async placeCall(call: Omit<KeypadCall, 'from'>): Promise<void> {
      if (!delivery.call) throw new ConfigError('phone.delivery has no call(call) for keypad calls');
      await delivery.call({ ...call, ...from });
    },

    /** The name messages and calls give: `phone.senderName`, else the issuer. */
    service: sender,
  };
}

export type PhoneSender = ReturnType<typeof createPhoneSender>;
