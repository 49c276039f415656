// A phone app for push notifications, as a real one talks to the device API: it reads the
// registration's QR link, makes an ES256 key pair of its own, signs every request with it (jose),
// and fetches and answers notifications. The transport is the engine itself
// (`engineTransport`) or HTTP (`httpTransport` to a listening server, `supertestTransport` to
// an Express app), so the same app drives all of them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import request from 'supertest';
import type { DeviceAction, Mfa } from '../../src/index.ts';

export interface DeviceReply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the answer's fields as JSON
  body: any;
  /** The Retry-After a refusal carried (429). */
  retryAfterSeconds?: number;
}
export type DeviceTransport = (action: DeviceAction, body: unknown) => Promise<DeviceReply>;

/** Straight into the engine, as an integration's route hands a request over. */
export const engineTransport =
  (mfa: Mfa, ip = '198.51.100.20'): DeviceTransport =>
  (action, body) =>
    mfa.deviceApi.handle(action, body, { ip });

/** Over HTTP to `<endpoint>/<action>` (a JSON POST), as the app does. */
export const httpTransport =
  (endpoint: string): DeviceTransport =>
  async (action, body) => {
    const res = await fetch(`${endpoint}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

/**
 * Over HTTP to an app that is not listening (supertest), with no cookie (a phone has no browser
 * session): a JSON POST to `<base>/<action>` — the path where the app mounts the device API
 * (default the test app's router: `/mfa/device`), whatever URL `pushMethod({ endpoint })` names.
 */
export const supertestTransport =
  (app: Parameters<typeof request>[0], base = '/mfa/device'): DeviceTransport =>
  async (action, body) => {
    const res = await request(app)
      .post(`${base}/${action}`)
      .send(body as object);
    return { status: res.status, body: res.body };
  };

/** What the registration's QR code says: `mfakit-push://activate?endpoint=…&code=…&service=…&account=…`. */
export function readActivationUri(uri: string) {
  const url = new URL(uri);
  assert.equal(`${url.protocol}//${url.host}`, 'mfakit-push://activate');
  return {
    endpoint: url.searchParams.get('endpoint') ?? '',
    code: url.searchParams.get('code') ?? '',
    service: url.searchParams.get('service') ?? '',
    account: url.searchParams.get('account') ?? '',
  };
}

export interface PushApp {
  readonly publicJwk: JWK;
  deviceId: string | null;
  /** Signs `claims` as this device (the activation puts the key in the header instead of `kid`). */
  sign(
    claims: JWTPayload,
    options?: { embedKey?: boolean; iatSeconds?: number; audience?: string },
  ): Promise<string>;
  activate(activationUri: string, extra?: JWTPayload): Promise<DeviceReply>;
  pending(): Promise<DeviceReply>;
  answer(tx: string, answer: 'approve' | 'deny' | 'fraud', number?: string): Promise<DeviceReply>;
  /** Fetches the newest notification and answers it with `number` (approve): the answer's reply. */
  approve(number: string): Promise<DeviceReply>;
}

export async function createPushApp(
  transport: DeviceTransport,
  options: { now: () => number; name?: string; pushToken?: string },
): Promise<PushApp> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  let endpoint = '';
  const app: PushApp = {
    publicJwk,
    deviceId: null,
    async sign(claims, o = {}) {
      const header = o.embedKey
        ? { alg: 'ES256', typ: 'mfakit-push+jwt', jwk: publicJwk }
        : { alg: 'ES256', typ: 'mfakit-push+jwt', kid: app.deviceId ?? '' };
      return new SignJWT({ jti: randomBytes(16).toString('base64url'), ...claims })
        .setProtectedHeader(header)
        .setIssuedAt(o.iatSeconds ?? Math.floor(options.now() / 1000))
        .setAudience(o.audience ?? endpoint)
        .sign(privateKey as CryptoKey);
    },
    async activate(activationUri, extra = {}) {
      const link = readActivationUri(activationUri);
      endpoint = link.endpoint;
      const request = await app.sign(
        {
          act: 'activate',
          code: link.code,
          name: options.name ?? 'Test phone',
          ...(options.pushToken ? { pushToken: options.pushToken } : {}),
          ...extra,
        },
        { embedKey: true },
      );
      const reply = await transport('activate', { request });
      if (reply.status === 200) app.deviceId = reply.body.deviceId;
      return reply;
    },
    async pending() {
      return transport('pending', { request: await app.sign({ act: 'pending' }) });
    },
    async answer(tx, answer, number) {
      const claims = { act: 'answer', tx, answer, ...(number !== undefined ? { number } : {}) };
      return transport('answer', { request: await app.sign(claims) });
    },
    async approve(number) {
      const waiting = await app.pending();
      assert.equal(waiting.status, 200, JSON.stringify(waiting.body));
      const [notification] = waiting.body.notifications;
      assert.ok(notification, 'a notification is waiting');
      return app.answer(notification.id, 'approve', number);
    },
  };
  return app;
}

/** The app's endpoint once it read a QR link (for a test that signs for another audience). */
export const endpointOf = (activationUri: string) => readActivationUri(activationUri).endpoint;
