// The sample federation server's development phone (/dev/phone) in tests: alice's sign-in with a
// keypad call ringing in the server's outbox, and the development phone opened as a person does,
// by the link with its key that the console prints (`fed.devPhoneUrl`), in a browser of its own.
import assert from 'node:assert/strict';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { matchNumberOf } from './approval-page.ts';
import { Browser, inputValue } from './browser.ts';
import { type FederationStack, redeem, signInWithPassword } from './federation-stack.ts';
import { registerPhoneAtFirstSignIn, sendCodeFromPrompt } from './first-method.ts';

export const NUMBER = '+44 7700 900167';
export const E164 = '+447700900167';
export const MASKED = '+•• ••• ••67';

/**
 * alice registers her phone for calls (the code call read from the outbox), then signs in again
 * in another browser and presses Call: the prompt shows the number, the outbox holds the call.
 */
export async function signInWithRingingCall(s: FederationStack, fields: Record<string, string> = {}) {
  const first = new Browser();
  const signIn = await signInWithPassword(first, s, 'alice', 'alice password');
  const { next } = await registerPhoneAtFirstSignIn(
    first,
    s.fedUrl,
    signIn.page,
    'voice',
    NUMBER,
    async () => {
      const sent = s.outbox.last(E164);
      assert.equal(sent?.channel, 'voice', 'registration confirms the number by a code call');
      return sent?.code ?? '';
    },
    fields,
  );
  await redeem(s, next, signIn.request);

  const b = new Browser();
  const second = await signInWithPassword(b, s, 'alice', 'alice password');
  const calling = await sendCodeFromPrompt(b, s.fedUrl, second.page, `Call ${MASKED}`);
  const number = matchNumberOf(calling.text) ?? '';
  assert.match(number, /^[1-9]\d$/, calling.text.slice(0, 1200));
  const call = s.outbox.lastCall(E164);
  assert.ok(call, 'the call is in the outbox');
  return { b, request: second.request, calling, number, callId: call.callId };
}

/** The path and query of the development phone's link (with its key), for a request to fedUrl. */
export function devPhoneLinkPath(s: FederationStack): string {
  assert.ok(s.fed.devPhoneUrl, 'the development phone is served');
  const link = new URL(s.fed.devPhoneUrl);
  return `${link.pathname}${link.search}`;
}

/** A browser of its own that opened the development phone's link: it holds the key's cookie. */
export async function openDevPhoneLink(s: FederationStack): Promise<TestAgent> {
  const agent = request.agent(s.fedUrl);
  const opened = await agent.get(devPhoneLinkPath(s));
  assert.equal(opened.status, 303, opened.text);
  assert.equal(opened.headers.location, '/dev/phone', 'the key leaves the address bar');
  return agent;
}

/**
 * The development phone, with a call ringing, in a browser of its own opened by its link: the
 * page it redirects to, and the form token the page's cookie earns.
 */
export async function openDevPhone(
  s: FederationStack,
): Promise<{ agent: TestAgent; page: request.Response; csrf: string }> {
  const agent = await openDevPhoneLink(s);
  const page = await agent.get('/dev/phone');
  assert.equal(page.status, 200, page.text);
  return { agent, page, csrf: inputValue(page.text, '_csrf') };
}
