// The delivery port: how a text message or a voice call reaches a phone. mfakit writes the
// message (the code and the service's name, nothing else) or a keypad call's words (the
// service's name, no code) and hands it over; a deployment gives its SMS/voice provider as
// `phone.delivery` in the options. The default, the outbox, sends nothing: it keeps the messages
// in memory (tests and the sample read them) and prints a line for each, so a demo works
// offline. It is for development only: a console is no phone. A keypad call kept there is
// answered by handing its keys to `mfa.phoneCalls.keypad` (the sample federation server's
// development phone page does).

/** One message to deliver. */
export interface PhoneMessage {
  /** `sms`: a text message; `voice`: a call that reads `text` out. */
  channel: 'sms' | 'voice';
  /** The number, E.164 (`+447700900123`). */
  to: string;
  /** The number it comes from, E.164 (`phone.callerId`); absent: the provider's default. */
  from?: string;
  /** What to send or say: the code and the service's name, in mfakit's words or `phone.messages`'. */
  text: string;
  /** The code alone (a voice provider may read it digit by digit). */
  code: string;
}

/**
 * A call answered on the keypad (`voiceMethod({ answer: 'keypad' })`): say `greeting`, then
 * `prompt` (repeat it while no key is pressed), gather the keys up to `#` (at most `maxDigits`),
 * and hand them to `mfa.phoneCalls.keypad({ callId, keys })`, whose answer says what to say
 * before hanging up. No code is in it: the number to type is on the user's sign-in page only.
 */
export interface KeypadCall {
  /** The number, E.164. */
  to: string;
  /** The number to call from (`phone.callerId`, E.164); absent: the provider's default. */
  from?: string;
  /** The call's id, to give back with the keys pressed. Random, single use. */
  callId: string;
  greeting: string;
  prompt: string;
  /** At most this many keys before `#`. */
  maxDigits: number;
  /** When the request lapses (ms since the epoch): keys after it are refused, so hang up. */
  expiresAt: number;
}

/** What sends messages: resolve once the provider accepted it, reject if it did not. */
export interface PhoneDelivery {
  send(message: PhoneMessage): Promise<void>;
  /** Places a keypad call; needed only by `voiceMethod({ answer: 'keypad' })`. */
  call?(call: KeypadCall): Promise<void>;
}

/** The development outbox: every message and call kept, in order, and printed unless `print: false`. */
export interface Outbox extends PhoneDelivery {
  readonly messages: PhoneMessage[];
  readonly calls: KeypadCall[];
  /** The last message sent to `to` (any number when omitted), or undefined. */
  last(to?: string): PhoneMessage | undefined;
  /** The last keypad call placed to `to` (any number when omitted), or undefined. */
  lastCall(to?: string): KeypadCall | undefined;
  call(call: KeypadCall): Promise<void>;
}

export function outboxDelivery(options: { print?: boolean; max?: number } = {}): Outbox {
  const messages: PhoneMessage[] = [];
  const calls: KeypadCall[] = [];
  const max = options.max ?? 1000;
  return {
    messages,
    calls,
    async send(message) {
      messages.push({ ...message });
      if (messages.length > max) messages.shift();
      if (options.print !== false) {
        const from = message.from === undefined ? '' : ` from ${message.from}`;
        console.log(`mfakit outbox (${message.channel}${from} to ${message.to}): ${message.text}`);
      }
    },
    async call(call) {
      calls.push({ ...call });
      if (calls.length > max) calls.shift();
      if (options.print !== false)
        console.log(
          `mfakit outbox (keypad call to ${call.to}, call ${call.callId}): ${call.greeting} ${call.prompt}`,
        );
    },
    last: (to) => messages.findLast((m) => to === undefined || m.to === to),
    lastCall: (to) => calls.findLast((c) => to === undefined || c.to === to),
  };
}
