// The federation server's own secrets: the sealing keys (TOTP seeds are sealed under the first,
// every listed one opens; the keyed hashes of recovery codes, remembered devices and passes
// too), the keys that sign oidc-provider's cookies (and derive the form tokens), and the
// ID-token signing key. From environment variables when set, otherwise generated once and kept
// in `federation-secrets.json` (mode 0600) beside the data file. Never logged.
//   FED_SEALING_KEYS  ID:BASE64,ID:BASE64, the current key first (mfakit/cli's format, as
//                     MFAKIT_SEALING_KEYS): several during a key rotation
//   FED_SEALING_KEY   base64 of 32 bytes: one key, id `fed1` (as the file's)
//   FED_COOKIE_KEYS   comma-separated, ≥ 32 characters each, newest first
//   FED_SIGNING_JWK   a private RSA JWK as JSON
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseSealingKeys, type SealingKey } from 'mfakit/cli';
import type { JWK } from 'oidc-provider';
import { z } from 'zod';

/** The id of the one sealing key of FED_SEALING_KEY and of the secrets file. */
export const FEDERATION_SEALING_KEY_ID = 'fed1';

export interface FederationSecrets {
  /** The current key first. */
  sealingKeys: SealingKey[];
  cookieKeys: string[];
  signingJwk: JWK;
}

const fileSchema = z.object({
  sealingKey: z.string(),
  cookieKeys: z.array(z.string().min(32)).min(1),
  signingJwk: z.record(z.string(), z.unknown()),
});

const jwkSchema = z
  .object({ kty: z.literal('RSA'), n: z.string(), e: z.string(), d: z.string() })
  .loose()
  .transform((j) => j as JWK);

export function generateSecrets(): FederationSecrets {
  const signingJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    format: 'jwk',
  }) as JWK;
  return {
    sealingKeys: [{ id: FEDERATION_SEALING_KEY_ID, key: randomBytes(32) }],
    cookieKeys: [randomBytes(32).toString('base64url')],
    signingJwk: { ...signingJwk, kid: `sig-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' },
  };
}

function sealingKeyFrom(value: string, what: string): Buffer {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error(`${what}: must be base64 of exactly 32 bytes`);
  return key;
}

function readFileSecrets(file: string): FederationSecrets {
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(`${file}: not a federation secrets file (delete it to generate new secrets)`);
  const jwk = jwkSchema.safeParse(parsed.data.signingJwk);
  if (!jwk.success) throw new Error(`${file}: signingJwk is not a private RSA JWK`);
  const key = sealingKeyFrom(parsed.data.sealingKey, `${file}: sealingKey`);
  return {
    sealingKeys: [{ id: FEDERATION_SEALING_KEY_ID, key }],
    cookieKeys: parsed.data.cookieKeys,
    signingJwk: jwk.data,
  };
}

/** Where the generated secrets are kept: beside the data file. */
export const secretsFileOf = (dataFile: string) => join(dirname(dataFile), 'federation-secrets.json');

/** Secrets from the environment, else from (or newly into) the file beside `dataFile`. */
export function loadOrCreateSecrets(
  dataFile: string,
  env: NodeJS.ProcessEnv = process.env,
): FederationSecrets {
  const file = secretsFileOf(dataFile);
  let stored: FederationSecrets | undefined;
  if (env.FED_SEALING_KEYS && env.FED_SEALING_KEY)
    throw new Error('set FED_SEALING_KEYS or FED_SEALING_KEY, not both');
  const sealingKeys = env.FED_SEALING_KEYS
    ? parseSealingKeys(env.FED_SEALING_KEYS, 'FED_SEALING_KEYS')
    : env.FED_SEALING_KEY
      ? [{ id: FEDERATION_SEALING_KEY_ID, key: sealingKeyFrom(env.FED_SEALING_KEY, 'FED_SEALING_KEY') }]
      : null;
  const needFile = !sealingKeys || !env.FED_COOKIE_KEYS || !env.FED_SIGNING_JWK;
  if (needFile) {
    if (existsSync(file)) stored = readFileSecrets(file);
    else {
      stored = generateSecrets();
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(
        file,
        JSON.stringify({
          sealingKey: (stored.sealingKeys[0] as SealingKey).key.toString('base64'),
          cookieKeys: stored.cookieKeys,
          signingJwk: stored.signingJwk,
        }),
        { mode: 0o600 },
      );
      chmodSync(file, 0o600);
    }
  }
  const cookieKeys = env.FED_COOKIE_KEYS?.split(',').map((k) => k.trim());
  if (cookieKeys?.some((k) => k.length < 32))
    throw new Error('FED_COOKIE_KEYS: each key must be at least 32 characters');
  let signingJwk = stored?.signingJwk;
  if (env.FED_SIGNING_JWK) {
    let raw: unknown;
    try {
      raw = JSON.parse(env.FED_SIGNING_JWK);
    } catch {
      throw new Error('FED_SIGNING_JWK: must be a JWK as JSON');
    }
    const jwk = jwkSchema.safeParse(raw);
    if (!jwk.success) throw new Error('FED_SIGNING_JWK: must be a private RSA JWK');
    signingJwk = { alg: 'RS256', use: 'sig', ...jwk.data };
  }
  const sealing = sealingKeys ?? stored?.sealingKeys;
  const keys = cookieKeys ?? stored?.cookieKeys;
  if (!sealing || !keys || !signingJwk) throw new Error('federation secrets: incomplete');
  return { sealingKeys: sealing, cookieKeys: keys, signingJwk };
}
