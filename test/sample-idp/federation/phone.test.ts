// Text message and phone call at the sample federation server, over real HTTP as a user and a
// relying party: a first sign-in registers a phone on the chooser (the code read from the
// outbox, where `npm start`'s console prints it), the user signs out, and signs in again with a
// code sent by the prompt's button; the ID token's amr says `sms` or `tel` and `mfa`. The number
// goes to the phone only: the audit events and the pages show it masked.
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../../src/index.ts';
import { Browser, formAction, inputValue } from '../../helpers/browser.ts';
import { RP_BYE } from '../../helpers/code-flow-rp.ts';
import {
  atRp,
  authorizationRequest,
  type FederationStack,
  redeem,
  signInWithPassword,
  startFederationStack,
  submitCode,
} from '../../helpers/federation-stack.ts';
import {
  chooseFirstMethod,
  isFirstMethodChooser,
  registerPhoneAtFirstSignIn,
  sendCodeFromPrompt,
} from '../../helpers/first-method.ts';

const NUMBER = '+44 7700 900167';
const E164 = '+447700900167';
const MASKED = '+•• ••• ••67';

/** Reads the code of the one message of `kind` the number was sent since now. */
function codeFromOutbox(s: FederationStack, kind: 'sms' | 'voice') {
  const before = s.outbox.messages.length;
  return async () => {
    assert.equal(s.outbox.messages.length, before + 1, 'one message sent to the number');
    const message = s.outbox.last(E164);
    assert.equal(message?.channel, kind);
    return message?.code ?? '';
  };
}

/** RP-initiated logout, confirmed: the federation's session ends and the browser is back at the RP. */
async function signOut(b: Browser, s: FederationStack, idToken: string) {
  const end = new URL('/session/end', s.fedUrl);
  end.search = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: RP_BYE }).toString();
  const confirm = await b.go(end.href, { stopAt: atRp });
  assert.match(confirm.text, /Sign out of Test RP\?/);
  const bye = await b.go(new URL(formAction(confirm.text, '/session/end/confirm'), s.fedUrl).href, {
    form: { xsrf: inputValue(confirm.text, 'xsrf'), logout: 'yes' },
    stopAt: atRp,
  });
  assert.equal(bye.url.split('?')[0], RP_BYE);
  const again = await b.go(authorizationRequest(s).url, { stopAt: atRp });
  assert.match(again.text, /E-mail address or user name/, 'signed out: the sign-in page again');
}

describe('sample-idp federation: text message and phone call', function () {
  this.timeout(60_000);
  let s: FederationStack;
  let events: AuditEvent[];
  beforeEach(async () => {
    events = [];
    s = await startFederationStack({ audit: (e) => void events.push(e) });
  });
  afterEach(async () => s.close());

  for (const [kind, amr, button, sentNotice, what] of [
    ['sms', 'sms', `Text a code to ${MASKED}`, `We sent a code to ${MASKED}`, 'a text message'],
    ['voice', 'tel', `Call ${MASKED}`, `We are calling ${MASKED}`, 'a phone call'],
  ] as const) {
    it(`registers ${what} at first sign-in, signs out, signs in again with its code: amr ${amr} and mfa`, async () => {
      const b = new Browser();
      const first = await signInWithPassword(b, s, 'alice', 'alice password');
      const { setup, next } = await registerPhoneAtFirstSignIn(
        b,
        s.fedUrl,
        first.page,
        kind,
        NUMBER,
        codeFromOutbox(s, kind),
      );
      assert.ok(setup.text.includes(MASKED), 'the setup page shows the number masked');
      assert.ok(!setup.text.includes(E164) && !setup.text.includes(NUMBER), 'and never in full');
      const registered = s.outbox.messages.at(-1);
      assert.equal(registered?.to, E164);
      assert.equal(registered?.channel, kind);
      assert.ok(registered?.text.includes('mfakit federation'), registered?.text);
      const one = await redeem(s, next, first.request);
      assert.equal(one.claims.sub, 'alice');
      assert.deepEqual(one.claims.amr, ['pwd', amr, 'mfa']);
      assert.equal(one.claims.acr, 'urn:mfakit:acr:mfa');

      await signOut(b, s, one.idToken);

      const second = await signInWithPassword(b, s, 'alice', 'alice password');
      assert.match(second.page.url, /\/mfa$/);
      assert.match(second.page.text, /Verify your identity/);
      const sentBefore = s.outbox.messages.length;
      assert.ok(second.page.text.includes(button), `a "${button}" button`);
      assert.equal(s.outbox.messages.length, sentBefore, 'nothing sent by showing the prompt');
      const after = await sendCodeFromPrompt(b, s.fedUrl, second.page, button);
      assert.equal(after.status, 200);
      assert.ok(after.text.includes(sentNotice), after.text.slice(0, 800));
      assert.equal(s.outbox.messages.length, sentBefore + 1);
      const code = s.outbox.last(E164)?.code ?? '';
      // The code of the registration does not sign in again; the one just sent does.
      assert.notEqual(code, registered?.code);
      const stale = await submitCode(b, s, after, registered?.code ?? '');
      assert.equal(stale.status, 401);
      assert.ok(!atRp(new URL(stale.url)));
      const back = await submitCode(b, s, stale, code);
      const two = await redeem(s, back, second.request);
      assert.equal(two.claims.sub, 'alice');
      assert.deepEqual(two.claims.amr, ['pwd', amr, 'mfa']);
      assert.equal(two.claims.acr, 'urn:mfakit:acr:mfa');

      // The audit trail knows a phone was used, never its number.
      const trail = JSON.stringify(events);
      assert.equal(events.filter((e) => e.type === 'code_sent').length, 2, 'registration and sign-in');
      assert.ok(trail.includes(MASKED), trail);
      assert.ok(!trail.includes('7700900167') && !trail.includes('7700 900167'), trail);
    });
  }

  it('a code sent for a text message is not accepted twice', async () => {
    const b = new Browser();
    const first = await signInWithPassword(b, s, 'alice', 'alice password');
    const { next } = await registerPhoneAtFirstSignIn(
      b,
      s.fedUrl,
      first.page,
      'sms',
      NUMBER,
      codeFromOutbox(s, 'sms'),
    );
    const one = await redeem(s, next, first.request);
    await signOut(b, s, one.idToken);
    const second = await signInWithPassword(b, s, 'alice', 'alice password');
    const after = await sendCodeFromPrompt(b, s.fedUrl, second.page, `Text a code to ${MASKED}`);
    const code = s.outbox.last(E164)?.code ?? '';
    await redeem(s, await submitCode(b, s, after, code), second.request);
    // Someone who saw the message replays its code in a sign-in of their own.
    const attacker = new Browser();
    const theirs = await signInWithPassword(attacker, s, 'alice', 'alice password');
    const replay = await submitCode(attacker, s, theirs.page, code);
    assert.equal(replay.status, 401);
    assert.ok(!atRp(new URL(replay.url)));
  });

  it('a number that is not one is refused on its form (400, said why), and nothing is sent', async () => {
    const b = new Browser();
    const { page } = await signInWithPassword(b, s, 'alice', 'alice password');
    const ask = await chooseFirstMethod(b, s.fedUrl, page, 'sms');
    const bad = await b.go(new URL(formAction(ask.text, '/enroll/start'), s.fedUrl).href, {
      form: { _csrf: inputValue(ask.text, '_csrf'), method: 'sms', phoneNumber: '12345' },
      stopAt: atRp,
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Enter the phone number with its country code/);
    assert.equal(s.outbox.messages.length, 0);
  });
});

describe('sample-idp federation: text message and phone call turned off', () => {
  it('with textMessage, phoneCall and pushNotifications disabled, the chooser offers none and the app setup comes first', async () => {
    const s = await startFederationStack({ phone: false, push: false });
    try {
      const b = new Browser();
      const { page } = await signInWithPassword(b, s, 'alice', 'alice password');
      // One kind left (the authenticator app; passkeys are off in the stack): no chooser.
      assert.ok(!isFirstMethodChooser(page));
      assert.match(page.text, /Set up your authenticator app/);
      assert.doesNotMatch(page.text, /Text message|Phone call|method=sms|method=voice/);
      // Asking for a phone's setup by hand is refused.
      const uid = /\/interaction\/([^/]+)\/mfa/.exec(page.url)?.[1] ?? '';
      const sms = await b.go(`${s.fedUrl}/interaction/${uid}/mfa/enroll?method=sms`, { stopAt: atRp });
      assert.equal(sms.status, 404);
      assert.match(sms.text, /That sign-in method cannot be set up here/);
      assert.doesNotMatch(sms.text, /name="phoneNumber"/);
      assert.equal(s.outbox.messages.length, 0);
    } finally {
      await s.close();
    }
  });
});
