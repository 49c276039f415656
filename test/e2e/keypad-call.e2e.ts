/**
 * Browser end to end (npm run test:e2e): `npm start` with `phoneCall: { answer: keypad, pin:
 * true }` (the example config otherwise), and Debian's headless Chromium. bob registers his
 * phone for calls at his first sign-in — the number confirmed by a code call, whose code the
 * console prints — with a PIN; signs out; signs in again at the demo app, presses Call, and
 * answers the call on the development phone (in a second page, opened by the link with its key
 * that the console prints; a browser without it is refused) by typing his PIN and the number his
 * sign-in page shows; Continue lands him signed in at the app with amr tel, pin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { requireTools } from '../helpers/peers.ts';
import { CHROMIUM, launchChromium, snap } from './chromium.ts';
import { claim, type Demo, ROOT, signInAtApp, startDemo } from './demo.ts';

const NUMBER = '+44 7700 900123';
const MASKED = '+•• ••• ••23';
const PIN = '4826';
const LINK = String.raw`http:\/\/localhost:\d+\/dev\/phone\?key=[A-Za-z0-9_-]{43}`;

/** The example config with keypad calls in PIN mode, written into `dir`. */
function keypadConfig(dir: string): string {
  const example = parseYaml(readFileSync(join(ROOT, 'sample-idp/federation.example.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  const file = join(dir, 'federation.keypad.yaml');
  writeFileSync(
    file,
    stringifyYaml({ ...example, phoneCall: { enabled: true, answer: 'keypad', pin: true } }),
  );
  return file;
}

/** The code of the registration call, as the console prints it (read digit by digit). */
async function codeCallPrinted(demo: Demo, from: number): Promise<string> {
  const line = /mfakit outbox \(voice to \+447700900123\): [^\n]*?Your verification code is ([\d ,.-]+?)\./;
  for (let i = 0; i < 200; i++) {
    const found = line.exec(demo.output.join('').slice(from))?.[1];
    if (found) return found.replace(/\D/g, '');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no code call printed:\n${demo.output.join('').slice(from)}`);
}

describe('browser end to end: a sign-in call answered on the keypad with a PIN (Chromium, development phone)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let demo: Demo;
  let browser: Browser;

  before(async function () {
    requireTools(this, CHROMIUM);
    dataDir = mkdtempSync(join(tmpdir(), 'mfakit-e2e-keypad-'));
    demo = await startDemo(dataDir, { FED_CONFIG: keypadConfig(dataDir) });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    demo?.child.kill('SIGTERM');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('bob registers his phone with a PIN, then signs in by typing PIN and number on the development phone: amr tel, pin', async () => {
    const guide = new RegExp(
      `open the development phone\\s+(${LINK})\\s+\\(its key lets this browser in\\) and type your PIN`,
    ).exec(demo.output.join(''));
    assert.ok(guide, demo.output.join(''));
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      // First sign-in: MFA is enforced and bob has no method; he chooses a phone call.
      await signInAtApp(page, demo.rp, 'bob', 'correct horse bob');
      await page.getByRole('heading', { name: 'Choose a sign-in method' }).waitFor();
      await page.getByRole('link', { name: 'Phone call' }).click();
      await page.getByLabel('Phone number').fill(NUMBER);
      await page.getByLabel('PIN for sign-in calls').fill(PIN);
      await snap(page, '41-idp-keypad-phone-setup');
      const printedBefore = demo.output.join('').length;
      await page.getByRole('button', { name: 'Send the code' }).click();
      await page.getByLabel('Code from the call').fill(await codeCallPrinted(demo, printedBefore));
      await page.getByRole('button', { name: 'Activate' }).click();
      await page.getByRole('link', { name: /I have saved them/ }).click();
      await page.waitForURL(`${demo.rp}/`);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: /Yes, sign me out/ }).click();
      await page.waitForURL(`${demo.rp}/signed-out`);

      // Signing in again: Call places a keypad call; the page shows the number to type.
      await signInAtApp(page, demo.rp, 'bob', 'correct horse bob');
      await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
      await page.getByRole('button', { name: `Call ${MASKED}` }).click();
      const number = (await page.locator('#match-number').innerText()).trim();
      assert.match(number, /^[1-9]\d$/);
      await snap(page, '42-idp-keypad-number');
      const link =
        new RegExp(`answer that call on the development phone, (${LINK})`).exec(demo.output.join(''))?.[1] ??
        '';
      assert.equal(link, guide[1], 'the call line prints the link of the start guide');

      // Without the link, a browser is refused; with it, the page opens and the key leaves the address bar.
      const stranger = await browser.newContext();
      try {
        const refused = await (await stranger.newPage()).goto(`${demo.fed}/dev/phone`);
        assert.equal(refused?.status(), 403);
      } finally {
        await stranger.close();
      }
      const phone = await context.newPage();
      await phone.goto(link);
      assert.equal(phone.url(), `${demo.fed}/dev/phone`);
      await phone.getByRole('heading', { name: `Call to ${MASKED}` }).waitFor();
      assert.match(await phone.locator('main').innerText(), /enter your PIN, then the two-digit number/);
      await phone.getByLabel('Keys to press').fill(`${PIN}${number}#`);
      await snap(phone, '43-dev-phone-keys');
      await phone.getByRole('button', { name: 'Press the keys' }).click();
      await phone.getByText('Your sign-in is approved').waitFor();
      await snap(phone, '44-dev-phone-approved');

      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(`${demo.rp}/`);
      await snap(page, '45-rp-signed-in-by-keypad');
      assert.equal(await claim(page, 'sub'), 'bob');
      assert.match(await claim(page, 'amr'), /\btel\b.*\bpin\b.*\bmfa\b/);
    } finally {
      await context.close();
    }
  });
});
