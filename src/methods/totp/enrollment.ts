// Authenticator-app enrollment ("proof-up"): a fresh 160-bit seed is kept sealed in a
// short-lived draft; the method becomes active only when the user types a valid code from it.
// That code's time step is consumed, so it cannot be replayed at sign-in. A reloaded setup page
// gets the same draft back (same secret and QR code) while it lasts.
import { randomId } from '../../engine/capabilities.ts';
import { html, trusted } from '../../web/html.ts';
import { codeOf, type EnrollmentDraft, type MethodEnrollment, type MethodServices } from '../method.ts';
import { base32Encode } from '../otp/base32.ts';
import { totpMatchStep } from '../otp/otp.ts';
import { otpRecord, sealedSecretContext } from '../otp/otp-record.ts';

const DRAFT_TTL_MS = 10 * 60_000;
const DRAFT_MAX_ATTEMPTS = 5;
// RFC 4226 §4 R6: the shared secret length MUST be at least 128 bits; 160 is recommended.
const SEED_BYTES = 20;

/** A draft as kept in the ephemeral store: the sealed seed and when it lapses. */
interface StoredDraft {
  sealed: string;
  expiresAt: number;
}

function readDraft(raw: string | null): StoredDraft | null {
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<StoredDraft>;
    return typeof parsed.sealed === 'string' && typeof parsed.expiresAt === 'number'
      ? { sealed: parsed.sealed, expiresAt: parsed.expiresAt }
      : null;
  } catch {
    return null;
  }
}

export function createTotpEnrollment(services: MethodServices): MethodEnrollment {
  const { repository, ephemeral, sealer, clock, random } = services;
  const { issuer, totp } = services.options;
  const draftKey = (userId: string, draftId: string) => `enroll:totp:${userId}:${draftId}`;
  const draftContext = (userId: string, draftId: string) => `draft:${userId}:${draftId}`;
  const view = async (draftId: string, seed: Uint8Array, accountName: string, expiresAt: number) => {
    const secret = base32Encode(seed);
    const uri = otpauthUri({ issuer, accountName, secret, ...totp });
    // Imported here: a process that never enrolls an app never loads the QR encoder.
    const { default: QRCode } = await import('qrcode');
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    const algorithm = totp.algorithm.toUpperCase();
    const draft: EnrollmentDraft = {
      kind: 'totp',
      draftId,
      expiresAt,
      fields: { secret, uri, qrSvg, algorithm, digits: totp.digits, period: totp.period },
      page: {
        title: 'Set up your authenticator app',
        proof: 'code',
        codeLabel: 'Code from the app',
        codeHint: `${totp.digits === 6 ? 'Six' : 'Eight'} digits, refreshed every ${totp.period} seconds.`,
        defaultLabel: 'Authenticator app',
        instructions: html`<ol>
      <li>Open an authenticator app (Microsoft Authenticator, Google Authenticator, FreeOTP…) and add an account.</li>
      <li>Scan this QR code:
        <div class="qr" role="img" aria-label="QR code for your authenticator app">${trusted(qrSvg)}</div>
        or type this key: <code class="secret" id="secret">${secret}</code>
        <span class="muted">(${algorithm}, ${totp.digits} digits, ${totp.period} s)</span></li>
      <li>Enter the code the app shows.</li>
    </ol>`,
      },
    };
    return draft;
  };

  return {
    strength: 'totp',
    title: 'Authenticator app',
    async begin(userId, accountName) {
      const draftId = randomId(random, 18);
      const seed = random.bytes(SEED_BYTES);
      const expiresAt = clock.now() + DRAFT_TTL_MS;
      const stored: StoredDraft = { sealed: sealer.seal(seed, draftContext(userId, draftId)), expiresAt };
      await ephemeral.put(draftKey(userId, draftId), JSON.stringify(stored), DRAFT_TTL_MS);
      return view(draftId, seed, accountName, expiresAt);
    },
    async resume(userId, draftId, accountName) {
      const stored = readDraft(await ephemeral.get(draftKey(userId, draftId)));
      if (stored === null || stored.expiresAt <= clock.now()) return null;
      return view(
        draftId,
        sealer.open(stored.sealed, draftContext(userId, draftId)),
        accountName,
        stored.expiresAt,
      );
    },
    async confirm(userId, draftId, input, label) {
      const code = codeOf(input);
      if (code === null) return { ok: false, detail: 'code_mismatch' };
      const stored = readDraft(await ephemeral.get(draftKey(userId, draftId)));
      if (stored === null) return { ok: false, detail: 'draft_expired' };
      const attempts = await ephemeral.increment(`${draftKey(userId, draftId)}:attempts`, DRAFT_TTL_MS);
      if (attempts > DRAFT_MAX_ATTEMPTS) {
        await ephemeral.delete(draftKey(userId, draftId));
        return { ok: false, detail: 'too_many_attempts' };
      }
      const seed = sealer.open(stored.sealed, draftContext(userId, draftId));
      const step = totpMatchStep(seed, code, {
        algorithm: totp.algorithm,
        digits: totp.digits,
        period: totp.period,
        epochSeconds: Math.floor(clock.now() / 1000),
        toleranceSteps: totp.toleranceSteps,
      });
      if (step === null) return { ok: false, detail: 'code_mismatch' };
      // Only one confirmation per draft, even when raced.
      if ((await ephemeral.take(draftKey(userId, draftId))) === null)
        return { ok: false, detail: 'draft_expired' };
      const id = randomId(random, 12);
      const method = otpRecord({
        id,
        userId,
        kind: 'totp',
        label: label.slice(0, 64) || 'Authenticator app',
        data: {
          sealedSecret: sealer.seal(seed, sealedSecretContext(userId, id)),
          algorithm: totp.algorithm,
          digits: totp.digits,
          period: totp.period,
          tokenSerial: null,
        },
        createdAt: clock.now(),
        lastUsedAt: clock.now(),
      });
      // The method and its counter at the step just proved, in one write: the code is spent.
      await repository.insertMethod(method, step);
      return { ok: true, method };
    },
  };
}

/** Key URI Format (Google Authenticator): otpauth://totp/Issuer:account?secret=…&issuer=…  */
export function otpauthUri(p: {
  issuer: string;
  accountName: string;
  secret: string;
  algorithm: string;
  digits: number;
  period: number;
}): string {
  const label = `${encodeURIComponent(p.issuer)}:${encodeURIComponent(p.accountName)}`;
  // Spaces as %20, not '+': several authenticator apps show a literal '+'.
  const query = [
    `secret=${p.secret}`,
    `issuer=${encodeURIComponent(p.issuer)}`,
    `algorithm=${p.algorithm.toUpperCase()}`,
    `digits=${p.digits}`,
    `period=${p.period}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}
