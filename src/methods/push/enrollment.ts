// Registering a device for push notifications, in three steps that each prove something:
//   1. begin: the signed-in user's page shows a QR code holding the device API's URL and a
//      one-time activation code (16 random bytes), valid for ten minutes;
//   2. activate (device-requests.ts): the app sends the code with its new public key, in a
//      request signed with that key, and gets a six-digit confirmation code back to show; a
//      draft is activated once — a second device (someone who saw the QR code) is refused;
//   3. confirm: the user types the confirmation code on the page, which proves the device that
//      holds the key is in their hands; five wrong codes end the draft.
// The activation code waits sealed in the draft (a reloaded page shows the same QR code), found
// by the app through its keyed hash; the confirmation code is kept as a keyed hash only.
import { randomId } from '../../engine/capabilities.ts';
import { html, trusted } from '../../web/html.ts';
import { takeDraftByCode } from '../draft-code.ts';
import { codeOf, type EnrollmentDraft, type MethodEnrollment, type MethodServices } from '../method.ts';
import { sixRandomDigits } from '../random-digits.ts';
import type { ResolvedPushOptions } from './options.ts';
import { type DevicePublicKey, sealedPushTokenContext } from './record.ts';

const DRAFT_TTL_MS = 10 * 60_000;
const PURPOSE = 'push-confirm';

/** The device an activation brought to a draft. */
export interface ActivatedDevice {
  publicKey: DevicePublicKey;
  name: string;
  pushToken: string | null;
}

/** A draft as kept: the activation code (sealed), the device id it will register, and the device once activated. */
interface StoredDraft {
  sealedCode: string;
  deviceId: string;
  expiresAt: number;
  /** Sealed JSON of the ActivatedDevice, and the confirmation code's hash; null until activated. */
  sealedDevice: string | null;
  confirmationHash: string | null;
}

function readDraft(raw: string | null): StoredDraft | null {
  if (raw === null) return null;
  try {
    const d = JSON.parse(raw) as Partial<StoredDraft>;
    if (typeof d.sealedCode !== 'string' || typeof d.deviceId !== 'string' || typeof d.expiresAt !== 'number')
      return null;
    return {
      sealedCode: d.sealedCode,
      deviceId: d.deviceId,
      expiresAt: d.expiresAt,
      sealedDevice: typeof d.sealedDevice === 'string' ? d.sealedDevice : null,
      confirmationHash: typeof d.confirmationHash === 'string' ? d.confirmationHash : null,
    };
  } catch {
    return null;
  }
}

/** The link the app reads from the QR code: where to activate, with which code, for what. */
export function activationUri(p: {
  endpoint: string;
  code: string;
  service: string;
  account: string;
}): string {
  const q = new URLSearchParams({
    endpoint: p.endpoint,
    code: p.code,
    service: p.service,
    account: p.account,
  });
  return `mfakit-push://activate?${q.toString()}`;
}

export function createPushEnrollment(services: MethodServices, options: ResolvedPushOptions) {
  const { repository, ephemeral, sealer, hasher, clock, random } = services;
  const service = options.serviceName ?? services.options.issuer;
  const draftKey = (userId: string, draftId: string) => `enroll:push:${userId}:${draftId}`;
  const activationKey = (code: string) => `push-activation:${hasher.hash('push-activation', code)}`;
  const draftContext = (userId: string, draftId: string) => `draft:push:${userId}:${draftId}`;
  const hashed = (userId: string, draftId: string, code: string) => `${userId}\n${draftId}\n${code}`;

  const view = async (draftId: string, code: string, accountName: string, expiresAt: number) => {
    const uri = activationUri({ endpoint: options.endpoint, code, service, account: accountName });
    // Imported here: a process that never registers a device never loads the QR encoder.
    const { default: QRCode } = await import('qrcode');
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    const draft: EnrollmentDraft = {
      kind: 'push',
      draftId,
      expiresAt,
      fields: { activationUri: uri, activationCode: code, endpoint: options.endpoint, qrSvg },
      page: {
        title: 'Set up notifications in your app',
        proof: 'code',
        codeLabel: 'Code shown in the app',
        codeHint: 'Six digits, shown by the app once it is connected.',
        defaultLabel: 'Phone app',
        instructions: html`<ol>
      <li>In the app, choose to add an account with a QR code.</li>
      <li>Scan this QR code:
        <div class="qr" role="img" aria-label="QR code for your app">${trusted(qrSvg)}</div>
        or give the app this link: <code class="secret" id="activation-link">${uri}</code></li>
      <li>Enter the code the app then shows.</li>
    </ol>`,
      },
    };
    return draft;
  };

  const openCode = (userId: string, draftId: string, d: StoredDraft) =>
    sealer.open(d.sealedCode, draftContext(userId, draftId)).toString('utf8');

  const enrollment: MethodEnrollment = {
    strength: 'push',
    title: 'Notifications to your phone app',
    async begin(userId, accountName) {
      const draftId = randomId(random, 18);
      const code = randomId(random, 16);
      const expiresAt = clock.now() + DRAFT_TTL_MS;
      const stored: StoredDraft = {
        sealedCode: sealer.seal(Buffer.from(code, 'utf8'), draftContext(userId, draftId)),
        deviceId: randomId(random, 12),
        expiresAt,
        sealedDevice: null,
        confirmationHash: null,
      };
      await ephemeral.put(draftKey(userId, draftId), JSON.stringify(stored), DRAFT_TTL_MS);
      await ephemeral.put(activationKey(code), JSON.stringify({ userId, draftId }), DRAFT_TTL_MS);
      return view(draftId, code, accountName, expiresAt);
    },
    async resume(userId, draftId, accountName) {
      const stored = readDraft(await ephemeral.get(draftKey(userId, draftId)));
      if (stored === null || stored.expiresAt <= clock.now()) return null;
      return view(draftId, openCode(userId, draftId, stored), accountName, stored.expiresAt);
    },
    async confirm(userId, draftId, input, label) {
      const code = codeOf(input);
      if (code === null) return { ok: false, detail: 'code_mismatch' };
      const key = draftKey(userId, draftId);
      const stored = readDraft(await ephemeral.get(key));
      if (stored === null || stored.expiresAt <= clock.now()) return { ok: false, detail: 'draft_expired' };
      if (stored.confirmationHash === null || stored.sealedDevice === null)
        return { ok: false, detail: 'device_not_activated' };
      const taken = await takeDraftByCode(services, {
        key,
        ttlMs: DRAFT_TTL_MS,
        purpose: PURPOSE,
        typed: hashed(userId, draftId, code),
        storedHash: stored.confirmationHash,
      });
      if (!taken.ok) return taken;
      const device = JSON.parse(
        sealer.open(stored.sealedDevice, draftContext(userId, draftId)).toString('utf8'),
      ) as ActivatedDevice;
      const id = stored.deviceId;
      const now = clock.now();
      const method = {
        id,
        userId,
        kind: 'push',
        label: Array.from(label).slice(0, 64).join('') || device.name || 'Phone app',
        data: {
          publicKey: { ...device.publicKey },
          deviceName: device.name,
          sealedPushToken:
            device.pushToken === null
              ? null
              : sealer.seal(Buffer.from(device.pushToken, 'utf8'), sealedPushTokenContext(userId, id)),
        },
        counterKey: null,
        lookupKey: id,
        createdAt: now,
        lastUsedAt: now,
      };
      await repository.insertMethod(method);
      return { ok: true, method };
    },
  };

  /** Whether `code` names a draft still waiting for its device (read only). */
  async function knows(code: string): Promise<boolean> {
    return (await ephemeral.get(activationKey(code))) !== null;
  }

  /**
   * Brings a device to the draft its activation code names, once: the confirmation code for the
   * app to show, or why not (`activation_unknown`: no such code, or it lapsed; `already_activated`).
   */
  async function activate(
    code: string,
    device: ActivatedDevice,
  ): Promise<
    | { ok: true; userId: string; deviceId: string; confirmationCode: string }
    | { ok: false; detail: 'activation_unknown' | 'already_activated' }
  > {
    const found = await ephemeral.get(activationKey(code));
    if (found === null) return { ok: false, detail: 'activation_unknown' };
    const { userId, draftId } = JSON.parse(found) as { userId: string; draftId: string };
    const key = draftKey(userId, draftId);
    const stored = readDraft(await ephemeral.get(key));
    if (stored === null || stored.expiresAt <= clock.now() || openCode(userId, draftId, stored) !== code)
      return { ok: false, detail: 'activation_unknown' };
    if (!(await ephemeral.consumeOnce(`push-activated:${draftId}`, DRAFT_TTL_MS)))
      return { ok: false, detail: 'already_activated' };
    const confirmationCode = sixRandomDigits(random);
    const activated: StoredDraft = {
      ...stored,
      sealedDevice: sealer.seal(Buffer.from(JSON.stringify(device), 'utf8'), draftContext(userId, draftId)),
      confirmationHash: hasher.hash(PURPOSE, hashed(userId, draftId, confirmationCode)),
    };
    await ephemeral.put(key, JSON.stringify(activated), Math.max(1, stored.expiresAt - clock.now()));
    return { ok: true, userId, deviceId: stored.deviceId, confirmationCode };
  }

  return { enrollment, knows, activate, service };
}
