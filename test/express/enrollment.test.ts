import assert from 'node:assert/strict';
import request from 'supertest';
import { base32Decode } from '../../src/methods/otp/base32.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { csrfFrom, enrolUser, formLogin, passwordStep, signIn } from '../helpers/flows.ts';
import { decodeQrSvg, requireTools } from '../helpers/peers.ts';

describe('enrollment through the HTML pages', () => {
  it('first sign-in: password → QR page → code → recovery codes → protected page; the QR decodes to the otpauth URI', async function () {
    requireTools(this, 'zbarimg', 'rsvg-convert');
    const { app, clock, mfa } = makeApp();
    const { agent, location } = await formLogin(app);
    assert.equal(location, '/mfa/enroll');

    const page = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    assert.equal(page.status, 200);
    assert.match(page.text, /autocomplete="one-time-code"/);
    assert.match(page.text, /inputmode="numeric"/);
    assert.match(page.text, /<label for="code">/);
    const svg = /<svg[\s\S]*?<\/svg>/.exec(page.text)?.[0];
    assert.ok(svg, 'page shows an SVG QR code');
    const uri = decodeQrSvg(svg);
    const url = new URL(uri);
    assert.equal(url.protocol, 'otpauth:');
    assert.equal(url.host, 'totp');
    assert.equal(decodeURIComponent(url.pathname), '/Test Co:alice');
    assert.equal(url.searchParams.get('issuer'), 'Test Co');
    const secret = url.searchParams.get('secret') ?? '';
    assert.equal(base32Decode(secret).length, 20, '160-bit seed');
    assert.match(
      page.text,
      new RegExp(`id="secret">${secret}<`),
      'the key shown beside the QR is the same secret',
    );

    const draftId = /name="draftId" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const wrong = await agent
      .post('/mfa/enroll')
      .type('form')
      .set('Accept', 'text/html')
      .send({
        _csrf: csrfFrom(page.text),
        draftId,
        code: '000000' === codeFor(secret, clock) ? '111111' : '000000',
      });
    assert.equal(wrong.status, 303, 'a wrong code sends back to the form');
    assert.equal((await mfa.methods.list('alice')).length, 0, 'no method is activated by a wrong code');
    const again = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    const secret2 = /id="secret">([A-Z2-7]+)</.exec(again.text)?.[1] ?? '';
    const draft2 = /name="draftId" value="([^"]+)"/.exec(again.text)?.[1] ?? '';
    const done = await agent
      .post('/mfa/enroll')
      .type('form')
      .set('Accept', 'text/html')
      .send({
        _csrf: csrfFrom(again.text),
        draftId: draft2,
        code: codeFor(secret2, clock),
        label: 'My phone',
      });
    assert.equal(done.status, 200);
    const codes = [...done.text.matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)].map(
      (m) => m[1],
    );
    assert.equal(codes.length, 10, 'ten recovery codes shown once');
    const account = await agent.get('/account');
    assert.equal(account.status, 200);
    assert.deepEqual(account.body.amr, ['pwd', 'otp', 'mfa']);
    const methods = await mfa.methods.list('alice');
    assert.equal(methods.length, 1);
    assert.equal(methods[0]?.label, 'My phone');
    assert.equal(
      await mfa.admin.getUserState('alice'),
      'enforced',
      'an enabled user becomes enforced once registered',
    );
  });

  it('reloading the setup page (or following a link to it) shows the same secret; the API starts a new draft', async () => {
    const { app } = makeApp();
    const agent = request.agent(app);
    await agent
      .post('/login')
      .type('form')
      .set('Accept', 'text/html')
      .send({ username: 'alice', password: 'alice-pw' });
    const secretOf = (text: string) => /id="secret">([A-Z2-7]+)</.exec(text)?.[1];
    const first = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    const again = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    assert.ok(secretOf(first.text));
    assert.equal(secretOf(again.text), secretOf(first.text));
    const api = await agent.post('/mfa/api/enroll/totp').send({});
    assert.equal(api.status, 201);
    assert.notEqual(api.body.secret, secretOf(first.text));
  });

  it('the enrollment code cannot be replayed to sign in', async () => {
    const { app, clock } = makeApp();
    const { agent } = await passwordStep(app, 'alice');
    const draft = await agent.post('/mfa/api/enroll/totp').send({});
    const code = codeFor(draft.body.secret, clock);
    await agent.post('/mfa/api/enroll/totp/confirm').send({ draftId: draft.body.draftId, code }).expect(200);
    await agent.post('/logout');
    const { agent: again } = await passwordStep(app, 'alice');
    const res = await again.post('/mfa/api/verify').send({ code });
    assert.equal(res.status, 401);
  });

  it('a second method needs a fresh second factor; a session verified long ago must verify again', async () => {
    const { app, clock, mfa } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret);
    clock.advance(10 * 60_000); // past reauthMaxAgeSeconds (300 s)
    const refused = await agent.post('/mfa/api/enroll/totp').send({});
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'reverify_required');
    await agent
      .post('/mfa/api/step-up')
      .send({ code: codeFor(secret, clock) })
      .expect(200);
    const draft = await agent.post('/mfa/api/enroll/totp').send({});
    assert.equal(draft.status, 201);
    await agent
      .post('/mfa/api/enroll/totp/confirm')
      .send({ draftId: draft.body.draftId, code: codeFor(draft.body.secret, clock), label: 'Tablet' })
      .expect(201);
    assert.deepEqual(
      (await mfa.methods.list('alice')).map((m) => m.label),
      ['Authenticator app', 'Tablet'],
    );
  });

  it('removing a method and regenerating recovery codes need a fresh verification; new codes kill the old ones', async () => {
    const { app, clock, mfa } = makeApp();
    const { secret, recoveryCodes } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret);
    const [method] = await mfa.methods.list('alice');
    clock.advance(10 * 60_000);
    assert.equal((await agent.delete(`/mfa/api/methods/${method?.id}`)).status, 403);
    assert.equal((await agent.post('/mfa/api/recovery-codes').send({})).status, 403);
    assert.equal((await mfa.methods.list('alice')).length, 1, 'nothing removed without re-verification');
    await agent
      .post('/mfa/api/step-up')
      .send({ code: codeFor(secret, clock) })
      .expect(200);
    const fresh = await agent.post('/mfa/api/recovery-codes').send({});
    assert.equal(fresh.status, 201);
    assert.equal(fresh.body.recoveryCodes.length, 10);
    assert.equal(await mfa.recoveryCodes.remaining('alice'), 10);
    // an old code no longer works
    await agent.post('/logout');
    const { agent: next } = await passwordStep(app, 'alice');
    assert.equal((await next.post('/mfa/api/verify').send({ code: recoveryCodes[0] })).status, 401);
    assert.equal(
      (await next.post('/mfa/api/verify').send({ code: fresh.body.recoveryCodes[0] })).status,
      200,
    );
    clock.advance(30_000); // the last TOTP step was consumed by the step-up above
    await next
      .post('/mfa/api/step-up')
      .send({ code: codeFor(secret, clock) })
      .expect(200);
    await next.delete(`/mfa/api/methods/${method?.id}`).expect(204);
    assert.equal((await mfa.methods.list('alice')).length, 0);
  });

  it('admin reset (require re-registration) removes methods, recovery codes and remembered devices', async () => {
    const { app, clock, mfa } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    await signIn(app, clock, 'alice', secret, { remember: true });
    assert.equal((await mfa.devices.list('alice')).length, 1);
    await mfa.admin.resetUser('alice', { ip: '127.0.0.1' });
    assert.equal((await mfa.methods.list('alice')).length, 0);
    assert.equal(await mfa.recoveryCodes.remaining('alice'), 0);
    assert.ok((await mfa.devices.list('alice')).every((d) => d.revokedAt !== null));
    const { res } = await passwordStep(app, 'alice');
    assert.equal(res.body.status, 'enroll_required');
  });
});
