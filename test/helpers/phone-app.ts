// The test app (test/helpers/app.ts) with text message and phone call enabled, its messages in
// an outbox the test reads; and the HTML form steps of a phone's registration.
import assert from 'node:assert/strict';
import type { Agent, Response } from 'supertest';
import { outboxDelivery } from '../../src/index.ts';
import { makeApp } from './app.ts';
import { csrfFrom } from './flows.ts';
import { PHONE_METHODS } from './phone.ts';

export function makePhoneApp(overrides: Parameters<typeof makeApp>[0] = {}) {
  const outbox = outboxDelivery({ print: false });
  const built = makeApp({
    methods: PHONE_METHODS,
    ...overrides,
    phone: { delivery: outbox, ...overrides.phone },
  });
  return { ...built, outbox };
}

/** The hidden draft id of a setup page. */
export const draftIdFrom = (page: string) => /name="draftId" value="([^"]+)"/.exec(page)?.[1] ?? '';

/** Through the pages: the phone-number form of `kind`, the number, then the setup page with the code field. */
export async function phoneSetupPage(
  agent: Agent,
  kind: 'sms' | 'voice',
  phoneNumber: string,
): Promise<Response> {
  const ask = await agent.get(`/mfa/enroll?method=${kind}`).set('Accept', 'text/html');
  assert.equal(ask.status, 200);
  assert.match(ask.text, /<input type="tel" id="phoneNumber" name="phoneNumber"/);
  const page = await agent
    .post('/mfa/enroll/start')
    .type('form')
    .set('Accept', 'text/html')
    .send({ _csrf: csrfFrom(ask.text), method: kind, phoneNumber });
  return page;
}
