// A phone app for push notifications in the tests: the sample's own device client
// (sample-idp/phone-app/device-client.ts: its key pair, its signed requests) with what a test
// needs around it — the transport is the engine itself (`engineTransport`) or HTTP
// (`httpTransport` to a listening server, `supertestTransport` to an app that is not), a forger
// posing as a registered device, and `approve` (fetch the newest request, answer it).
import assert from 'node:assert/strict';
import type { JWK, JWTPayload } from 'jose';
import request from 'supertest';
import {
  createDeviceClient,
  type DeviceReply,
  type DeviceTransport,
  httpTransport,
  readActivationLink,
} from '../../sample-idp/phone-app/device-client.ts';
import type { Mfa } from '../../src/index.ts';

export type { DeviceReply, DeviceTransport };
export { httpTransport };

/** Straight into the engine, as an integration's route hands a request over. */
export const engineTransport =
  (mfa: Mfa, ip = '198.51.100.20'): DeviceTransport =>
  (action, body) =>
    mfa.deviceApi.handle(action, body, { ip });

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
export const readActivationUri = readActivationLink;

export interface PushApp {
  readonly publicJwk: JWK;
  readonly deviceId: string | null;
  /** Signs `claims` as this device (the activation puts the key in the header instead of `kid`). */
  sign(
    claims: JWTPayload,
    options?: { embedKey?: boolean; iatSeconds?: number; audience?: string },
  ): Promise<string>;
  activate(activationUri: string): Promise<DeviceReply>;
  pending(): Promise<DeviceReply>;
  answer(tx: string, answer: 'approve' | 'deny' | 'fraud', number?: string): Promise<DeviceReply>;
  /** Fetches the newest notification and answers it with `number` (approve): the answer's reply. */
  approve(number: string): Promise<DeviceReply>;
}

/**
 * The sample's phone app client (sample-idp/phone-app/device-client.ts) over `transport`, with a
 * fresh key. `posingAs`: a forger's app that signs with its own key under that device id, never
 * activated.
 */
export async function createPushApp(
  transport: DeviceTransport,
  options: { now: () => number; name?: string; pushToken?: string; posingAs?: string },
): Promise<PushApp> {
  const fresh = await createDeviceClient({ transport, now: options.now });
  const client =
    options.posingAs === undefined
      ? fresh
      : await createDeviceClient({
          transport,
          now: options.now,
          saved: { ...fresh.state, deviceId: options.posingAs },
        });
  const app: PushApp = {
    get publicJwk() {
      return client.state.publicJwk;
    },
    get deviceId() {
      return client.state.deviceId;
    },
    sign: (claims, o) => client.sign(claims, o),
    activate: (activationUri) =>
      client.activate(activationUri, {
        name: options.name ?? 'Test phone',
        ...(options.pushToken ? { pushToken: options.pushToken } : {}),
      }),
    pending: () => client.pending(),
    answer: (tx, answer, number) => client.answer(tx, answer, number),
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
