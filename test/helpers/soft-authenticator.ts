// A software authenticator for tests: ES256 keys from node:crypto, and the WebAuthn answers a
// browser running @simplewebauthn/browser sends — a RegistrationResponseJSON with attestation
// `none` (clientDataJSON `webauthn.create`, a CBOR attestation object whose authenticator data
// holds the rpIdHash, flags, counter, AAGUID, credential id and COSE public key) and an
// AuthenticationResponseJSON (authenticator data, clientDataJSON `webauthn.get`, a DER signature
// over authData ‖ SHA-256(clientDataJSON), the user handle). Every field an attacker controls has
// a knob: origin, rpId, challenge, type, flags, counter, credential, user handle, and tampering
// after signing. Device-bound credentials count up; a synced passkey (BE and BS flags) reports 0.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { ChallengeOptions, CredentialResponse } from '../../src/methods/method.ts';

/** Authenticator-data flags (WebAuthn §6.1). */
export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

/** The CBOR this helper writes: unsigned and negative integers, text, byte strings, maps. */
type Cbor = number | string | Uint8Array | Map<number | string, Cbor>;

function cborHead(major: number, length: number): Buffer {
  const type = major << 5;
  if (length < 24) return Buffer.from([type | length]);
  if (length < 0x100) return Buffer.from([type | 24, length]);
  if (length < 0x10000) {
    const head = Buffer.alloc(3);
    head[0] = type | 25;
    head.writeUInt16BE(length, 1);
    return head;
  }
  const head = Buffer.alloc(5);
  head[0] = type | 26;
  head.writeUInt32BE(length, 1);
  return head;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, text.length), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  const entries = [...value].flatMap(([k, v]) => [cbor(k), cbor(v)]);
  return Buffer.concat([cborHead(5, value.size), ...entries]);
}

/** An answer as the engine takes it (`{ credential }`): the same JSON, typed as a JSON object. */
export const asCredential = (
  answer: RegistrationResponseJSON | AuthenticationResponseJSON,
): CredentialResponse => JSON.parse(JSON.stringify(answer)) as CredentialResponse;

/** Options as the engine hands them out (`ChallengeOptions`), typed as what the browser reads. */
export const asRequestOptions = (options: ChallengeOptions | undefined) =>
  options as unknown as PublicKeyCredentialRequestOptionsJSON;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** One credential the authenticator holds. */
export interface SoftCredential {
  /** base64url, as the server names it. */
  id: string;
  rpId: string;
  /** base64url: the WebAuthn user.id it was created for. */
  userHandle: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The signature counter (always 0 for a synced passkey). */
  counter: number;
}

/** The client-data and authenticator-data fields a ceremony reports, each overridable. */
export interface CeremonyKnobs {
  /** clientDataJSON.origin (default: the authenticator's page origin). */
  origin?: string;
  /** The RP ID hashed into authenticator data (default: the options' RP ID). */
  rpId?: string;
  /** clientDataJSON.challenge (default: the options'). */
  challenge?: string;
  /** clientDataJSON.type (default: webauthn.create / webauthn.get). */
  type?: string;
  /** The flags byte, replacing UP|UV (and BE|BS, AT) the authenticator would set. */
  flags?: number;
  /** The signature counter reported, instead of the credential's next value. */
  counter?: number;
}

export interface RegistrationKnobs extends CeremonyKnobs {
  /**
   * The credential id to report: one this authenticator holds is re-used with its key (a client
   * ignoring excludeCredentials); any other is a new key under that id (claiming another's id).
   */
  credentialId?: string;
  /** AAGUID reported (default: the authenticator's). */
  aaguid?: string;
}

/** The parts of an assertion, as signed; a tamper hook may change them after signing. */
export interface SignedAssertion {
  authenticatorData: Buffer;
  clientDataJSON: Buffer;
  signature: Buffer;
}

export interface AuthenticationKnobs extends CeremonyKnobs {
  /** Which held credential answers (default: the first allowed, or any for the RP when none is listed). */
  credentialId?: string;
  /** The user handle sent (default: the credential's); null sends none. */
  userHandle?: string | null;
  /** Changes made after signing: a tampered signature, client data or authenticator data. */
  tamper?: (signed: SignedAssertion) => SignedAssertion;
}

export interface AuthenticatorTraits {
  /** The page origin the browser reports. */
  origin: string;
  /** The authenticator model (default: a random one). */
  aaguid?: string;
  /** A synced passkey: BE and BS set, counter always 0. */
  synced?: boolean;
  /** Whether it verifies the user (UV flag); default true. */
  verifiesUser?: boolean;
}

function aaguidBytes(aaguid: string): Buffer {
  return Buffer.from(aaguid.replaceAll('-', ''), 'hex');
}

/** The COSE_Key of a P-256 public key (kty EC2, alg ES256, crv P-256). */
function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return cbor(
    new Map<number, Cbor>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? '', 'base64url')],
      [-3, Buffer.from(jwk.y ?? '', 'base64url')],
    ]),
  );
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  readonly aaguid: string;
  readonly #traits: AuthenticatorTraits;

  constructor(traits: AuthenticatorTraits) {
    this.#traits = traits;
    this.aaguid = traits.aaguid ?? randomUUID();
  }

  get synced(): boolean {
    return this.#traits.synced === true;
  }

  credential(id: string): SoftCredential {
    const found = this.credentials.find((c) => c.id === id);
    if (!found) throw new Error(`the authenticator holds no credential ${id}`);
    return found;
  }

  #flags(extra: number): number {
    const uv = this.#traits.verifiesUser === false ? 0 : FLAGS.UV;
    const backup = this.synced ? FLAGS.BE | FLAGS.BS : 0;
    return FLAGS.UP | uv | backup | extra;
  }

  #clientData(type: string, challenge: string, knobs: CeremonyKnobs): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: knobs.type ?? type,
        challenge: knobs.challenge ?? challenge,
        origin: knobs.origin ?? this.#traits.origin,
        crossOrigin: false,
      }),
    );
  }

  #authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  /** navigator.credentials.create() for these options, as @simplewebauthn/browser returns it. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    knobs: RegistrationKnobs = {},
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(this.#traits.origin).hostname;
    const held = this.credentials.find((c) => c.id === knobs.credentialId);
    let credential: SoftCredential;
    if (held) {
      credential = held;
    } else {
      const ids = new Set(this.credentials.map((c) => c.id));
      if (knobs.credentialId === undefined && options.excludeCredentials?.some((c) => ids.has(c.id)))
        throw new Error('InvalidStateError: the authenticator already holds an excluded credential');
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      credential = {
        id: knobs.credentialId ?? b64url(randomBytes(16)),
        rpId,
        userHandle: options.user.id,
        privateKey,
        publicKey,
        counter: 0,
      };
      this.credentials.push(credential);
    }
    const idBytes = Buffer.from(credential.id, 'base64url');
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(idBytes.length);
    const attested = Buffer.concat([
      aaguidBytes(knobs.aaguid ?? this.aaguid),
      idLength,
      idBytes,
      coseKey(credential.publicKey),
    ]);
    const authData = this.#authData(
      knobs.rpId ?? rpId,
      knobs.flags ?? this.#flags(FLAGS.AT),
      knobs.counter ?? credential.counter,
      attested,
    );
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(this.#clientData('webauthn.create', options.challenge, knobs)),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports: ['internal'],
        publicKeyAlgorithm: -7,
        publicKey: b64url(credential.publicKey.export({ type: 'spki', format: 'der' })),
      },
    };
  }

  /** navigator.credentials.get() for these options, as @simplewebauthn/browser returns it. */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    knobs: AuthenticationKnobs = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.#traits.origin).hostname;
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential =
      knobs.credentialId !== undefined
        ? this.credential(knobs.credentialId)
        : this.credentials.find((c) => c.rpId === rpId && (allowed.size === 0 || allowed.has(c.id)));
    if (!credential) throw new Error('NotAllowedError: no credential of this authenticator is allowed');
    if (!this.synced && knobs.counter === undefined) credential.counter += 1;
    const authenticatorData = this.#authData(
      knobs.rpId ?? rpId,
      knobs.flags ?? this.#flags(0),
      knobs.counter ?? credential.counter,
    );
    const clientDataJSON = this.#clientData('webauthn.get', options.challenge, knobs);
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, sha256(clientDataJSON)]),
      credential.privateKey,
    );
    const signed = (knobs.tamper ?? ((s) => s))({ authenticatorData, clientDataJSON, signature });
    const userHandle = knobs.userHandle === undefined ? credential.userHandle : knobs.userHandle;
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(signed.clientDataJSON),
        authenticatorData: b64url(signed.authenticatorData),
        signature: b64url(signed.signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
    };
  }
}
