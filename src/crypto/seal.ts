// AES-256-GCM sealing of secrets (TOTP/HOTP seeds) under a key id, so keys rotate
// without downtime: the first key seals, every listed key opens.
// Format: `v1.<keyId>.<iv>.<ciphertext>.<tag>`, base64url parts. The associated data
// binds a sealed value to its owner (e.g. user + method id) so it cannot be moved.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { RandomSource } from '../engine/capabilities.ts';
import { MfaError } from '../errors.ts';

/** A sealing key and the id sealed values name it by. */
export interface SealingKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface Sealer {
  seal(plaintext: Buffer, associatedData: string): string;
  open(sealed: string, associatedData: string): Buffer;
  readonly currentKeyId: string;
}

/**
 * The id of the key a sealed value names (what `open` would use), or null for a value that is
 * not in the sealed format. Read without opening: a walk that re-seals stored secrets skips
 * those already under the current key.
 */
export function sealedKeyId(sealed: string): string | null {
  const [version, keyId] = sealed.split('.', 2);
  return version === 'v1' && keyId ? keyId : null;
}

// NIST SP 800-38D §8.2.2: a 96-bit random IV; keep invocations per key well under 2^32.
const IV_BYTES = 12;
// The full 128-bit tag, and only that: GCM would also check a tag cut to 4 bytes (Node only
// warns, DEP0182), and a forger who can write the store would need about 2^32 tries, not 2^128.
const TAG_BYTES = 16;

export function createSealer(keys: readonly SealingKey[], random: RandomSource): Sealer {
  const current = keys[0];
  if (!current) throw new MfaError('config_invalid', 'at least one sealing key is required');
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  return {
    currentKeyId: current.id,
    seal(plaintext, associatedData) {
      const iv = random.bytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        'v1',
        current.id,
        iv.toString('base64url'),
        ct.toString('base64url'),
        tag.toString('base64url'),
      ].join('.');
    },
    open(sealed, associatedData) {
      const [version, keyId, iv, ct, tag] = sealed.split('.');
      if (version !== 'v1' || !keyId || iv === undefined || ct === undefined || tag === undefined) {
        throw new MfaError('sealed_invalid', 'sealed value is malformed', 500);
      }
      const key = byId.get(keyId);
      if (!key) throw new MfaError('sealed_unknown_key', `no sealing key with id ${keyId}`, 500);
      const tagBytes = Buffer.from(tag, 'base64url');
      if (tagBytes.length !== TAG_BYTES)
        throw new MfaError('sealed_invalid', 'sealed value failed authentication', 500);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(Buffer.from(associatedData, 'utf8'));
        decipher.setAuthTag(tagBytes);
        return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
      } catch {
        throw new MfaError('sealed_invalid', 'sealed value failed authentication', 500);
      }
    },
  };
}
