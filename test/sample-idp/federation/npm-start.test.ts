// `npm start` (sample-idp/start.ts): the three servers start on free ports and serve discovery;
// a text message's code is printed on its console, where the person trying the demo reads it.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, inputValue } from '../../helpers/browser.ts';
import { uidOf } from '../../helpers/federation-stack.ts';
import { registerPhoneAtFirstSignIn } from '../../helpers/first-method.ts';

describe('npm start (sample-idp/start.ts)', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let dir = '';
  afterEach(async () => {
    child?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the three servers on free ports, prints the URLs and serves discovery', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fed-start-'));
    child = spawn(process.execPath, ['sample-idp/start.ts'], {
      env: {
        ...process.env,
        // One process on the SQLite file (DATABASE_URL and REDIS_URL: test/scale/npm-start.test.ts).
        DATABASE_URL: '',
        REDIS_URL: '',
        WORKERS: '',
        FED_PORT: '0',
        PARTNER_PORT: '0',
        DEMO_RP_PORT: '0',
        FED_DATA_FILE: join(dir, 'federation.sqlite'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (d) => {
      output += String(d);
    });
    const urls = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URLs printed:\n${output}`)), 30_000);
      child?.stdout?.on('data', (d) => {
        output += String(d);
        if (output.includes('Ctrl-C')) {
          clearTimeout(timer);
          resolve(output);
        }
      });
      child?.on('exit', (c) => reject(new Error(`exited with ${c}:\n${output}`)));
    });
    // localhost URLs (browsers refuse passkeys on 127.0.0.1), served from 127.0.0.1 (the listen address).
    const fedUrl = /Federation server \(OpenID provider\): (http:\/\/localhost:\d+)\//.exec(urls)?.[1];
    const rpUrl = /Demo SaaS app \(relying party\): +(http:\/\/localhost:\d+)\//.exec(urls)?.[1];
    assert.ok(fedUrl && rpUrl, urls);
    assert.doesNotMatch(urls, /127\.0\.0\.1/);
    assert.match(urls, /bob <bob@contoso\.test> \/ correct horse bob {2}— enforced/);
    assert.match(urls, /carol@partner\.test/);
    assert.match(
      urls,
      /A text message or phone call at first sign-in.*\n.*its code is printed on this console/,
    );
    assert.match(urls, /^Stores: SQLite .*federation\.sqlite, everything in it$/m);
    assert.match(urls, /^Policies: the config's, saved in the store as version 1$/m);
    assert.doesNotMatch(urls, /worker processes/);
    const onLoopback = fedUrl.replace('//localhost:', '//127.0.0.1:');
    const meta = (await (await fetch(`${onLoopback}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      acr_values_supported: string[];
    };
    assert.equal(meta.issuer, fedUrl);
    assert.ok(meta.acr_values_supported.includes('urn:mfakit:acr:mfa'));
    assert.ok(meta.acr_values_supported.includes('urn:mfakit:acr:phr'));
    // The demo RP is registered as a relying-party trust: its sign-in lands on the federation's page.
    const b = new Browser();
    const page = await b.go(`${rpUrl}/login`);
    assert.equal(new URL(page.url).origin, fedUrl);
    assert.match(page.text, /to continue to <strong>Demo SaaS app<\/strong>/);

    // Alice's first sign-in: she chooses a text message; its code is on the console.
    const uid = uidOf(page);
    const pw = await b.go(`${fedUrl}/interaction/${uid}/identify`, {
      form: { identifier: 'alice', _csrf: inputValue(page.text, '_csrf') },
    });
    const chooser = await b.go(`${fedUrl}/interaction/${uid}/login`, {
      form: { identifier: 'alice', password: 'correct horse alice', _csrf: inputValue(pw.text, '_csrf') },
    });
    const printed =
      /^mfakit outbox \(sms to \+447700900167\): (\d{6}) is your Contoso sign-in verification code\.$/m;
    const { next: home } = await registerPhoneAtFirstSignIn(
      b,
      fedUrl,
      chooser,
      'sms',
      '+44 7700 900167',
      async () => {
        for (let waited = 0; waited < 100 && !printed.test(output); waited++)
          await new Promise((resolve) => setTimeout(resolve, 50));
        return printed.exec(output)?.[1] ?? assert.fail(`no text message on the console:\n${output}`);
      },
    );
    assert.equal(home.url, `${rpUrl}/`);
    assert.match(home.text, /data-claim="amr">pwd, sms, mfa</);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    child = undefined;
  });
});
