// The delivery port: how a text message or a voice call reaches a phone. mfakit writes the
// message (the code and the service's name, nothing else) and hands it over; a deployment
// gives its SMS/voice provider as `phone.delivery` in the options. The default, the outbox,
// sends nothing: it keeps the messages in memory (tests and the sample read them) and prints a
// line for each, so a demo works offline. It is for development only: a console is no phone.

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

/** What sends messages: resolve once the provider accepted it, reject if it did not. */
export interface PhoneDelivery {
  send(message: PhoneMessage): Promise<void>;
}

/** The development outbox: every message kept, in order, and printed unless `print: false`. */
export interface Outbox extends PhoneDelivery {
  readonly messages: PhoneMessage[];
  /** The last message sent to `to` (any number when omitted), or undefined. */
  last(to?: string): PhoneMessage | undefined;
}

export function outboxDelivery(options: { print?: boolean; max?: number } = {}): Outbox {
  const messages: PhoneMessage[] = [];
  const max = options.max ?? 1000;
  return {
    messages,
    async send(message) {
      messages.push({ ...message });
      if (messages.length > max) messages.shift();
      if (options.print !== false) {
        const from = message.from === undefined ? '' : ` from ${message.from}`;
        console.log(`mfakit outbox (${message.channel}${from} to ${message.to}): ${message.text}`);
      }
    },
    last: (to) => messages.findLast((m) => to === undefined || m.to === to),
  };
}
