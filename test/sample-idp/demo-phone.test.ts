// The Express demo (npm run demo:express) with text messages: no provider configured, so the
// code goes to mfakit's development outbox, which prints it on the console — where a person
// trying the demo reads it, and where this test reads it too.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadDemoConfig } from '../../sample-idp/config.ts';
import { createDemoApp } from '../../sample-idp/demo-app.ts';
import { csrfFrom } from '../helpers/flows.ts';
import { draftIdFrom } from '../helpers/phone-app.ts';

describe('the Express demo: text message through the console outbox', function () {
  this.timeout(30_000);
  let dir = '';
  const printed: string[] = [];
  const log = console.log;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mfakit-demo-phone-'));
    console.log = (...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    };
  });
  afterEach(() => {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a phone with the code printed on the console', async () => {
    const config = loadDemoConfig({
      MFAKIT_DATA_FILE: join(dir, 'demo.sqlite'),
      SESSION_SECRET: 'x'.repeat(32),
    });
    const { app, stores } = await createDemoApp(config, { audit: () => {} });
    const agent = request.agent(app);
    const loginPage = await agent.get('/login');
    await agent
      .post('/login')
      .type('form')
      .set('Accept', 'text/html')
      .send({
        _csrf: csrfFrom(loginPage.text),
        username: 'alice',
        password: 'correct horse alice',
        returnTo: '/',
      });
    const chooser = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    assert.match(chooser.text, /href="\/mfa\/enroll\?method=sms">Text message/);
    const ask = await agent.get('/mfa/enroll?method=sms').set('Accept', 'text/html');
    const setup = await agent
      .post('/mfa/enroll/start')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(ask.text), method: 'sms', phoneNumber: '+44 7700 900123' });
    assert.equal(setup.status, 200);
    const line = printed.find((l) => l.startsWith('mfakit outbox (sms to +447700900123): '));
    assert.ok(line, `printed: ${printed.join('\n')}`);
    const code = /(\d{6}) is your mfakit demo verification code\./.exec(line)?.[1] ?? '';
    const done = await agent
      .post('/mfa/enroll')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(setup.text), draftId: draftIdFrom(setup.text), code });
    assert.equal(done.status, 200);
    assert.match(done.text, /Save your recovery codes/);
    const home = await agent.get('/').set('Accept', 'text/html');
    assert.match(home.text, /pwd, sms, mfa/);
    stores.close?.();
  });
});
