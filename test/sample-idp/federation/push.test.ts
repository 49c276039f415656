// Push notifications at the sample federation server, over real HTTP, with the sample's own
// phone app (sample-idp/phone-app/device-client.ts, what `npm run phone-app` runs) as the device:
// a first sign-in registers it from the chooser (the QR code decoded by zbarimg, the app's
// activation at the server's /interaction/device, the confirmation code typed on the page), then
// another browser signs in again by approving with the number its page shows; the ID token's amr
// says `swk` and `mfa`. The number is never sent to the app, and the notification printed on
// the console holds only the service and the transaction. Then the terminal app itself (the
// command a person trying the sample runs), driven through its stdin and stdout.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeviceClient, readActivationLink } from '../../../sample-idp/phone-app/device-client.ts';
import { matchNumberOf, pressApprovalContinue } from '../../helpers/approval-page.ts';
import { Browser, formAction, inputValue } from '../../helpers/browser.ts';
import {
  atRp,
  type FederationStack,
  redeem,
  signInWithPassword,
  startFederationStack,
} from '../../helpers/federation-stack.ts';
import { chooseFirstMethod, FIRST_METHOD, sendCodeFromPrompt } from '../../helpers/first-method.ts';
import { decodeQrSvg } from '../../helpers/peers.ts';

describe('sample-idp federation: push notifications with the sample phone app', function () {
  this.timeout(60_000);
  let s: FederationStack;
  beforeEach(async () => {
    s = await startFederationStack();
  });
  afterEach(async () => s.close());

  it('registers the phone app at first sign-in, then signs in again by approving with the number: amr swk and mfa', async () => {
    const b = new Browser();
    const first = await signInWithPassword(b, s, 'alice', 'alice password');
    const setup = await chooseFirstMethod(b, s.fedUrl, first.page, 'push');
    assert.match(setup.text, /Set up notifications in your app/);
    assert.match(setup.text, FIRST_METHOD);
    const svg = /<svg[\s\S]*?<\/svg>/.exec(setup.text)?.[0] ?? '';
    const link = decodeQrSvg(svg);
    assert.equal(readActivationLink(link).endpoint, `${s.fedUrl}/interaction/device`);
    assert.ok(setup.text.includes(link.replaceAll('&', '&amp;')), 'the link is under the QR code');

    const phone = await createDeviceClient({ now: () => s.clock.now() });
    const activated = await phone.activate(link, { name: 'Terminal phone app' });
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    const saved = await b.go(new URL(formAction(setup.text, '/enroll'), s.fedUrl).href, {
      form: {
        _csrf: inputValue(setup.text, '_csrf'),
        draftId: inputValue(setup.text, 'draftId'),
        code: activated.body.confirmationCode,
      },
      stopAt: atRp,
    });
    assert.match(saved.text, /Save your recovery codes/, saved.text.slice(0, 800));
    const onward = /<a href="([^"]+)">I have saved them/.exec(saved.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const one = await redeem(s, await b.go(new URL(onward, s.fedUrl).href, { stopAt: atRp }), first.request);
    assert.equal(one.claims.sub, 'alice');
    assert.deepEqual(one.claims.amr, ['pwd', 'swk', 'mfa']);

    // Another browser: the prompt's button sends a notification; the page shows the number.
    const other = new Browser();
    const second = await signInWithPassword(other, s, 'alice', 'alice password');
    const sent = await sendCodeFromPrompt(
      other,
      s.fedUrl,
      second.page,
      'Send a notification to Terminal phone app',
    );
    const number = matchNumberOf(sent.text);
    assert.match(number ?? '', /^[1-9]\d$/);
    const notification = s.pushes.last();
    assert.equal(notification?.title, 'Approve sign-in to mfakit federation?');
    assert.ok(
      notification && !notification.title.includes(number ?? '') && !notification.body.includes(number ?? ''),
      'the number is not in the notification',
    );

    const early = await pressApprovalContinue(other, s.fedUrl, sent);
    assert.equal(early.status, 202);
    assert.equal(matchNumberOf(early.text), number);

    const waiting = await phone.pending();
    assert.equal(waiting.status, 200);
    const [request] = waiting.body.notifications;
    assert.equal(request.id, notification?.transactionId);
    assert.equal(request.service, 'mfakit federation');
    assert.ok(!JSON.stringify(waiting.body).includes(`"${number}"`), 'the app is not told the number');
    assert.deepEqual((await phone.answer(request.id, 'approve', number ?? '')).body, { answer: 'approved' });

    const two = await redeem(s, await pressApprovalContinue(other, s.fedUrl, early), second.request);
    assert.equal(two.claims.sub, 'alice');
    assert.deepEqual(two.claims.amr, ['pwd', 'swk', 'mfa']);
    assert.equal(two.claims.acr, 'urn:mfakit:acr:mfa');
  });
});

describe('sample-idp: npm run phone-app, the terminal phone app', function () {
  this.timeout(60_000);
  let s: FederationStack;
  let dir: string;
  let app: ChildProcessWithoutNullStreams | undefined;
  beforeEach(async () => {
    s = await startFederationStack();
    dir = mkdtempSync(join(tmpdir(), 'mfakit-phone-app-'));
  });
  afterEach(async () => {
    app?.kill();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('activates from the link, prints the code to type, then answers a sign-in with the number typed at its prompt', async () => {
    const b = new Browser();
    const first = await signInWithPassword(b, s, 'alice', 'alice password');
    const setup = await chooseFirstMethod(b, s.fedUrl, first.page, 'push');
    const link = decodeQrSvg(/<svg[\s\S]*?<\/svg>/.exec(setup.text)?.[0] ?? '');
    const phone = spawn(
      process.execPath,
      [
        'sample-idp/phone-app/cli.ts',
        link,
        '--state',
        join(dir, 'device.json'),
        '--name',
        'My terminal',
        '--once',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    app = phone;
    const exited = new Promise<number | null>((resolve) => phone.on('exit', resolve));
    let out = '';
    phone.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    phone.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const printed = async (pattern: RegExp) => {
      for (let i = 0; i < 200 && !pattern.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      const match = pattern.exec(out);
      assert.ok(match, `the app printed ${pattern}; it printed:\n${out}`);
      return match;
    };
    const code = (await printed(/Type this code on the setup page: (\d{6})/))[1] ?? '';
    assert.match(out, /Registered with mfakit federation as Alice\./);
    const saved = await b.go(new URL(formAction(setup.text, '/enroll'), s.fedUrl).href, {
      form: { _csrf: inputValue(setup.text, '_csrf'), draftId: inputValue(setup.text, 'draftId'), code },
      stopAt: atRp,
    });
    assert.match(saved.text, /Save your recovery codes/);
    await printed(/Press Enter here once you have typed it/);
    phone.stdin.write('\n');
    await printed(/Waiting for sign-in requests from mfakit federation/);

    const other = new Browser();
    const second = await signInWithPassword(other, s, 'alice', 'alice password');
    const sent = await sendCodeFromPrompt(other, s.fedUrl, second.page, 'Send a notification to My terminal');
    const number = matchNumberOf(sent.text) ?? '';
    await printed(/Enter the number shown on the sign-in page/);
    phone.stdin.write(`${number}\n`);
    await printed(/Answered: approved\./);
    assert.equal(await exited, 0);
    const two = await redeem(s, await pressApprovalContinue(other, s.fedUrl, sent), second.request);
    assert.deepEqual(two.claims.amr, ['pwd', 'swk', 'mfa']);
  });
});
