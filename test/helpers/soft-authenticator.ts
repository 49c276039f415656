// A software passkey for tests that need no browser: it answers WebAuthn options (the JSON the
// server's pages embed or serve) as a platform authenticator would — a P-256 key per credential,
// attestation `none`, user present and verified, a signature counter — producing the JSON
// @simplewebauthn/browser would post. Real signatures over real client data, so the server's
// checks (challenge, origin, rpID, signature, counter) run as they do for Chromium.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { Mfa } from '../../src/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: WebAuthn JSON as the browser library handles it
type Json = Record<string, any>;

interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  rpId: string;
  userHandle: string;
  counter: number;
}

const b64url = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** UP (user present) | UV (user verified). */
const FLAGS_UP_UV = 0x01 | 0x04;
/** …plus AT (attested credential data follows). */
const FLAG_AT = 0x40;

function uint32(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  readonly origin: string;

  /** `origin`: the page's origin the browser would report, e.g. http://localhost:3000. */
  constructor(origin: string) {
    this.origin = origin;
  }

  /** The answer to registration options (`navigator.credentials.create`). */
  register(options: Json): Json {
    const rp = options.rp as { id?: string };
    const user = options.user as { id: string };
    const rpId = rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const id = randomBytes(16);
    const coseKey = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? '', 'base64url')],
      [-3, Buffer.from(jwk.y ?? '', 'base64url')],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([FLAGS_UP_UV | FLAG_AT]),
      uint32(0),
      Buffer.alloc(16),
      idLength,
      id,
      Buffer.from(isoCBOR.encode(coseKey)),
    ]);
    const attestation = new Map<string, string | Uint8Array | Map<string, string>>([
      ['fmt', 'none'],
      ['attStmt', new Map<string, string>()],
      ['authData', authData],
    ]);
    const attestationObject = isoCBOR.encode(attestation);
    this.credentials.push({ id, privateKey, rpId, userHandle: user.id, counter: 0 });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: this.clientData('webauthn.create', String(options.challenge)),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /**
   * The answer to authentication options (`navigator.credentials.get`): with the first
   * credential they allow, or (no allow list: a passwordless sign-in) the first one for the rpID.
   */
  authenticate(options: Json, pick?: (c: SoftCredential) => boolean): Json {
    const rpId = (options.rpId as string | undefined) ?? new URL(this.origin).hostname;
    const allowed = ((options.allowCredentials as { id: string }[] | undefined) ?? []).map((c) => c.id);
    const credential = this.credentials.find(
      (c) =>
        c.rpId === rpId && (allowed.length === 0 || allowed.includes(b64url(c.id))) && (pick?.(c) ?? true),
    );
    if (!credential) throw new Error('the soft authenticator holds no credential these options allow');
    credential.counter += 1;
    const authenticatorData = Buffer.concat([
      sha256(rpId),
      Buffer.from([FLAGS_UP_UV]),
      uint32(credential.counter),
    ]);
    const clientDataJSON = this.clientData('webauthn.get', String(options.challenge));
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, sha256(Buffer.from(clientDataJSON, 'base64url'))]),
      credential.privateKey,
    );
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON,
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
    };
  }

  private clientData(type: string, challenge: string): string {
    return b64url(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }
}

/** The options a page embeds for its passkey form `formId` (a JSON block `<formId>-options`). */
export function embeddedOptions(html: string, formId: string): Json {
  const m = new RegExp(`<script type="application/json" id="${formId}-options">([^<]*)</script>`).exec(html);
  if (!m?.[1]) throw new Error(`no options for form ${formId} in the page`);
  return JSON.parse(m[1]) as Json;
}

/** Registers a passkey of `soft` for `user` straight through the engine (no pages); returns its method id. */
export async function enrolPasskeyThroughEngine(
  mfa: Mfa,
  soft: SoftAuthenticator,
  user: string,
  label = 'Passkey',
): Promise<string> {
  const draft = await mfa.enrollment.begin('webauthn', user, user);
  const options = draft.fields.options as Json;
  const confirmed = await mfa.enrollment.confirm(
    'webauthn',
    user,
    draft.draftId,
    { credential: soft.register(options) },
    label,
    { ip: '127.0.0.1' },
  );
  if (!confirmed.ok) throw new Error(`the passkey was not registered: ${JSON.stringify(confirmed)}`);
  return confirmed.method.id;
}
