// Registering a phone for text messages or calls: the user gives the number, a code is sent to
// it, and typing that code activates the method — proof the number is theirs and reachable.
// The number waits sealed in a short-lived draft with the code's hash; a reloaded page gets the
// same draft back (no second message); five wrong codes end it. The full number is never shown
// again: the draft and the record say only its masked form. A channel may ask for a secret with
// the number (`PhoneSecretField`: a keypad call's PIN in PIN mode); it waits sealed in the draft,
// then in the record.
import { randomId } from '../../engine/capabilities.ts';
import { html } from '../../web/html.ts';
import { takeDraftByCode } from '../draft-code.ts';
import { codeOf, type EnrollmentDraft, type MethodEnrollment, type MethodServices } from '../method.ts';
import { assertNumberAllowed, maskPhoneNumber, PHONE_INPUT_MAX, parsePhoneNumber } from './number.ts';
import { type PhoneSecretField, sealedNumberContext } from './record.ts';
import { type PhoneChannel, type PhoneSender, phoneCode } from './sender.ts';

const PURPOSE = 'phone-enroll';

/** A draft as kept in the ephemeral store: the sealed number (and secret), the code's hash, when it lapses. */
interface StoredDraft {
  sealed: string;
  /** The secret asked with the number, sealed (kept under this name since PINs were the first). */
  sealedPin?: string;
  hash: string;
  expiresAt: number;
}

function readDraft(raw: string | null): StoredDraft | null {
  if (raw === null) return null;
  try {
    const p = JSON.parse(raw) as Partial<StoredDraft>;
    if (typeof p.sealed !== 'string' || typeof p.hash !== 'string' || typeof p.expiresAt !== 'number')
      return null;
    const draft = { sealed: p.sealed, hash: p.hash, expiresAt: p.expiresAt };
    return typeof p.sealedPin === 'string' ? { ...draft, sealedPin: p.sealedPin } : draft;
  } catch {
    return null;
  }
}

/** How one channel speaks of itself on the setup page. */
export interface PhoneEnrollmentWords {
  title: string;
  setupTitle: string;
  /** "We sent a text message to" / "We are calling". */
  sentTo: string;
  codeLabel: string;
  defaultLabel: string;
}

export function createPhoneEnrollment(
  services: MethodServices,
  channel: PhoneChannel,
  sender: PhoneSender,
  words: PhoneEnrollmentWords,
  secret: PhoneSecretField | undefined,
): MethodEnrollment {
  const { repository, ephemeral, sealer, hasher, clock, random } = services;
  const ttlMs = services.options.phone.codeLifetimeSeconds * 1000;
  const draftKey = (userId: string, draftId: string) => `enroll:${channel}:${userId}:${draftId}`;
  const draftContext = (userId: string, draftId: string) => `draft:${userId}:${draftId}`;
  // The secret asked for with the number, if any (a secret only kept is not asked again).
  const asked = secret?.asked ? { ...secret, ...secret.asked } : null;
  const draftSecretContext = (userId: string, draftId: string) =>
    `draft-${asked?.field.name ?? 'secret'}:${userId}:${draftId}`;
  const hashed = (userId: string, draftId: string, code: string) =>
    `${channel}\n${userId}\n${draftId}\n${code}`;

  const view = (draftId: string, number: string, expiresAt: number): EnrollmentDraft => {
    const to = maskPhoneNumber(number);
    const minutes = Math.round(ttlMs / 60_000);
    return {
      kind: channel,
      draftId,
      expiresAt,
      sent: { channel, to, expiresAt },
      fields: { channel, to },
      page: {
        title: words.setupTitle,
        proof: 'code',
        codeLabel: words.codeLabel,
        codeHint: `Six digits. The code works for ${minutes} minutes.`,
        defaultLabel: words.defaultLabel,
        instructions: html`<p>${words.sentTo} <strong>${to}</strong>. Enter the code to finish.</p>`,
      },
    };
  };

  return {
    strength: channel,
    title: words.title,
    sendsCode: true,
    fields: [
      {
        name: 'phoneNumber',
        label: 'Phone number',
        hint: 'With the country code, starting with +, e.g. +44 20 7946 0958.',
        inputType: 'tel',
        autocomplete: 'tel',
        maxLength: PHONE_INPUT_MAX,
      },
      ...(asked ? [asked.field] : []),
    ],
    async begin(userId, _accountName, fields) {
      const number = parsePhoneNumber(fields?.phoneNumber);
      assertNumberAllowed(number, services.options.phone);
      const given = asked ? asked.parse(fields?.[asked.field.name]) : null;
      const draftId = randomId(random, 18);
      const code = phoneCode(services);
      await sender.send(channel, userId, number, code, 'registration');
      const expiresAt = clock.now() + ttlMs;
      const stored: StoredDraft = {
        sealed: sealer.seal(Buffer.from(number, 'utf8'), draftContext(userId, draftId)),
        ...(given !== null
          ? { sealedPin: sealer.seal(Buffer.from(given, 'utf8'), draftSecretContext(userId, draftId)) }
          : {}),
        hash: hasher.hash(PURPOSE, hashed(userId, draftId, code)),
        expiresAt,
      };
      await ephemeral.put(draftKey(userId, draftId), JSON.stringify(stored), ttlMs);
      return view(draftId, number, expiresAt);
    },
    async resume(userId, draftId) {
      const stored = readDraft(await ephemeral.get(draftKey(userId, draftId)));
      if (stored === null || stored.expiresAt <= clock.now()) return null;
      const number = sealer.open(stored.sealed, draftContext(userId, draftId)).toString('utf8');
      return view(draftId, number, stored.expiresAt);
    },
    async confirm(userId, draftId, input, label) {
      const code = codeOf(input);
      if (code === null) return { ok: false, detail: 'code_mismatch' };
      const key = draftKey(userId, draftId);
      const stored = readDraft(await ephemeral.get(key));
      if (stored === null || stored.expiresAt <= clock.now()) return { ok: false, detail: 'draft_expired' };
      const taken = await takeDraftByCode(services, {
        key,
        ttlMs,
        purpose: PURPOSE,
        typed: hashed(userId, draftId, code),
        storedHash: stored.hash,
      });
      if (!taken.ok) return taken;
      const number = sealer.open(stored.sealed, draftContext(userId, draftId));
      const id = randomId(random, 12);
      const kept =
        stored.sealedPin === undefined
          ? null
          : sealer.open(stored.sealedPin, draftSecretContext(userId, draftId));
      // A draft without the secret now asked for (begun before PIN mode was on) registers nothing.
      if (asked && kept === null) return { ok: false, detail: 'draft_expired' };
      const method = {
        id,
        userId,
        kind: channel,
        label: label.slice(0, 64) || words.defaultLabel,
        data: {
          sealedNumber: sealer.seal(number, sealedNumberContext(userId, id)),
          ...(asked && kept !== null
            ? { [asked.dataKey]: sealer.seal(kept, asked.context(userId, id)) }
            : {}),
        },
        counterKey: null,
        lookupKey: null,
        createdAt: clock.now(),
        lastUsedAt: clock.now(),
      };
      await repository.insertMethod(method);
      return { ok: true, method };
    },
  };
}
