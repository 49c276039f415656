// RFC 4648 base32 for OTP seeds (via otplib's scure plugin): encoded without padding, as
// authenticator apps expect in otpauth:// URIs; decoded leniently, for the secrets of the
// OATH token CSV.
import { ScureBase32Plugin } from '@otplib/plugin-base32-scure';

const plugin = new ScureBase32Plugin();

export function base32Encode(bytes: Uint8Array): string {
  return plugin.encode(bytes, { padding: false });
}

/** Decodes case-insensitively, ignoring spaces and padding; throws on invalid characters. */
export function base32Decode(text: string): Buffer {
  const cleaned = text.replace(/[\s=]/g, '').toUpperCase();
  if (!/^[A-Z2-7]+$/.test(cleaned)) throw new Error('not base32');
  return Buffer.from(plugin.decode(cleaned));
}
