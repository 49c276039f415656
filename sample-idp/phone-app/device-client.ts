// A push-notification device as mfakit's device API expects one (README: The device API), in
// TypeScript with jose: it reads the registration's QR link, makes a P-256 key pair of its own,
// signs every request with it (ES256, `typ: mfakit-push+jwt`, for the endpoint, with a fresh
// `jti`), activates, fetches the notification waiting for it and answers it. The transport is
// a function, so the same client talks HTTP (the sample's phone app) or straight to an engine
// (the tests). Its state — the key, the device id, the endpoint — can be saved and restored.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';

export type DeviceAction = 'activate' | 'pending' | 'answer';

export interface DeviceReply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the device API's JSON answer, read field by field
  body: any;
  /** A refusal's Retry-After (429), in seconds. */
  retryAfterSeconds?: number;
}

export type DeviceTransport = (action: DeviceAction, body: unknown) => Promise<DeviceReply>;

/** Over HTTP: a JSON POST to `<endpoint>/<action>`. */
export const httpTransport =
  (endpoint: string): DeviceTransport =>
  async (action, body) => {
    const res = await fetch(`${endpoint}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const retryAfter = res.headers.get('retry-after');
    return {
      status: res.status,
      body: await res.json(),
      ...(retryAfter ? { retryAfterSeconds: Number(retryAfter) } : {}),
    };
  };

/** What a registration's QR code says: `mfakit-push://activate?endpoint=…&code=…&service=…&account=…`. */
export function readActivationLink(link: string) {
  const url = new URL(link);
  if (`${url.protocol}//${url.host}` !== 'mfakit-push://activate')
    throw new Error('not an mfakit activation link (mfakit-push://activate?…)');
  const param = (name: string) => url.searchParams.get(name) ?? '';
  return {
    endpoint: param('endpoint'),
    code: param('code'),
    service: param('service'),
    account: param('account'),
  };
}

/** What a device keeps between runs: its key pair (JWK, private), its id, where it registered. */
export interface DeviceState {
  privateJwk: JWK;
  publicJwk: JWK;
  deviceId: string | null;
  endpoint: string;
  service: string;
  account: string;
}

export interface DeviceClient {
  readonly state: DeviceState;
  /** Signs `claims` as this device; an activation carries the public key instead of `kid`. */
  sign(
    claims: JWTPayload,
    options?: { embedKey?: boolean; iatSeconds?: number; audience?: string },
  ): Promise<string>;
  /** Activates the registration the link names: the reply holds the confirmation code to show. */
  activate(link: string, device?: { name?: string; pushToken?: string }): Promise<DeviceReply>;
  pending(): Promise<DeviceReply>;
  answer(tx: string, answer: 'approve' | 'deny' | 'fraud', number?: string): Promise<DeviceReply>;
}

/**
 * A new device (a fresh key pair), or the one `saved` describes. `transport`: how requests travel
 * (default: HTTP to the endpoint it registered at); `now`: the clock its `iat` is read from.
 */
export async function createDeviceClient(
  options: { transport?: DeviceTransport; now?: () => number; saved?: DeviceState } = {},
): Promise<DeviceClient> {
  const now = options.now ?? Date.now;
  let state: DeviceState;
  if (options.saved) state = { ...options.saved };
  else {
    const pair = await generateKeyPair('ES256', { extractable: true });
    state = {
      privateJwk: await exportJWK(pair.privateKey),
      publicJwk: await exportJWK(pair.publicKey),
      deviceId: null,
      endpoint: '',
      service: '',
      account: '',
    };
  }
  const privateKey = await importJWK(state.privateJwk, 'ES256');
  const send: DeviceTransport =
    options.transport ?? ((action, body) => httpTransport(state.endpoint)(action, body));

  const client: DeviceClient = {
    get state() {
      return state;
    },
    async sign(claims, o = {}) {
      const { kty, crv, x, y } = state.publicJwk;
      const header = o.embedKey
        ? { alg: 'ES256', typ: 'mfakit-push+jwt', jwk: { kty, crv, x, y } }
        : { alg: 'ES256', typ: 'mfakit-push+jwt', kid: state.deviceId ?? '' };
      return new SignJWT({ jti: randomBytes(16).toString('base64url'), ...claims })
        .setProtectedHeader(header)
        .setIssuedAt(o.iatSeconds ?? Math.floor(now() / 1000))
        .setAudience(o.audience ?? state.endpoint)
        .sign(privateKey);
    },
    async activate(link, device = {}) {
      const { endpoint, code, service, account } = readActivationLink(link);
      state = { ...state, endpoint, service, account };
      const claims = {
        act: 'activate',
        code,
        name: device.name ?? 'Phone',
        ...(device.pushToken ? { pushToken: device.pushToken } : {}),
      };
      const reply = await send('activate', { request: await client.sign(claims, { embedKey: true }) });
      if (reply.status === 200) state = { ...state, deviceId: String(reply.body.deviceId) };
      return reply;
    },
    async pending() {
      return send('pending', { request: await client.sign({ act: 'pending' }) });
    },
    async answer(tx, answer, number) {
      const claims = { act: 'answer', tx, answer, ...(number !== undefined ? { number } : {}) };
      return send('answer', { request: await client.sign(claims) });
    },
  };
  return client;
}
