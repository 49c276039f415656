import assert from 'node:assert/strict';
import request from 'supertest';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, passwordStep, signIn } from '../helpers/flows.ts';

describe('bad input gets a clear 4xx, never a 5xx', () => {
  async function pending() {
    const ctx = makeApp();
    const { secret } = await enrolUser(ctx.app, ctx.clock, 'alice');
    const { agent } = await passwordStep(ctx.app, 'alice');
    return { ...ctx, agent, secret };
  }

  it('malformed JSON → 400 malformed_json', async () => {
    const { agent } = await pending();
    const res = await agent
      .post('/mfa/api/verify')
      .set('Content-Type', 'application/json')
      .send('{"code": "12');
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'malformed_json');
  });

  it('an oversized body → 413 with the limit in the message', async () => {
    const { agent } = await pending();
    const res = await agent.post('/mfa/api/verify').send({ code: '123456', pad: 'x'.repeat(40_000) });
    assert.equal(res.status, 413);
    assert.match(res.body.message, /16kb/);
  });

  it('a charset or Content-Encoding the reader does not decode, or a gzip body that is not gzip → 4xx JSON; nothing counted', async () => {
    const { agent, mfa } = await pending();
    const post = (type = 'application/json') => agent.post('/mfa/api/verify').set('Content-Type', type);
    const charset = await post('application/json; charset=latin1').send('{"code":"123456"}');
    assert.equal(charset.status, 415);
    const encoding = await post().set('Content-Encoding', 'compress').send('{"code":"123456"}');
    assert.equal(encoding.status, 415);
    const notGzip = await post().set('Content-Encoding', 'gzip').send('{"code":"123456"}');
    assert.equal(notGzip.status, 400);
    for (const res of [charset, encoding, notGzip]) {
      assert.equal(typeof res.body.error, 'string');
      assert.equal(res.body.message, 'The request could not be understood.');
    }
    assert.deepEqual(await mfa.admin.lockStatus('alice'), { attempts: 0, consecutiveFailures: 0 });
  });

  it('wrong types, missing fields, non-digit codes, unknown fields of the wrong shape → 400 with a message; nothing counted', async () => {
    const { agent, mfa } = await pending();
    const cases: Array<[unknown, RegExp]> = [
      [{ code: 123456 }, /string|code/i],
      [{}, /code is required/],
      [{ code: 'abc!@#' }, /6 or 8 digits/],
      [{ code: '12345' }, /6 or 8 digits/],
      [{ code: '1'.repeat(100) }, /too long/],
      [{ code: '123456', methodId: '../../etc' }, /methodId/],
      [{ code: ['123456'] }, /string|code/i],
      [[1, 2, 3], /./],
    ];
    for (const [body, message] of cases) {
      const res = await agent.post('/mfa/api/verify').send(body as object);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, message, JSON.stringify(body));
    }
    assert.deepEqual(
      await mfa.admin.lockStatus('alice'),
      { attempts: 0, consecutiveFailures: 0 },
      'malformed input is not an attempt',
    );
  });

  it('an unknown method id → 401 generic failure (no oracle for which ids exist)', async () => {
    const { agent, secret, clock } = await pending();
    const { codeFor } = await import('../helpers/app.ts');
    const res = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock), methodId: 'nope' });
    assert.equal(res.status, 401);
    assert.equal(res.body.message, "That code didn't work. Check it and try again.");
  });

  it('a non-JSON body on the JSON API → 415 (a cross-site form cannot post to it)', async () => {
    const { agent } = await pending();
    const form = await agent.post('/mfa/api/verify').type('form').send({ code: '123456' });
    assert.equal(form.status, 415);
    const text = await agent
      .post('/mfa/api/verify')
      .set('Content-Type', 'text/plain')
      .send('{"code":"123456"}');
    assert.equal(text.status, 415);
  });

  it('HTML forms without the CSRF token → 403, and nothing happens', async () => {
    const { app, clock, mfa } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret, { remember: true });
    const res = await agent.post('/mfa/devices/revoke-all').type('form').set('Accept', 'text/html').send({});
    assert.equal(res.status, 403);
    assert.match(res.text, /form has expired/);
    assert.ok((await mfa.devices.list('alice')).every((d) => d.revokedAt === null));
    const forged = await agent.post('/mfa/devices/revoke-all').type('form').send({ _csrf: 'forged' });
    assert.equal(forged.status, 403);
  });

  it('a method label with a control character (a NUL, a newline inside) → 400 naming it; nothing registered', async () => {
    const { app, clock, mfa } = makeApp();
    const { agent } = await passwordStep(app, 'bob');
    const draft = await agent.post('/mfa/api/enroll/totp').send({});
    assert.equal(draft.status, 201);
    for (const label of ['phone\u0000', 'a\nb', 'del\u007f']) {
      const res = await agent
        .post('/mfa/api/enroll/totp/confirm')
        .send({ draftId: draft.body.draftId, code: codeFor(draft.body.secret, clock), label });
      assert.equal(res.status, 400, JSON.stringify(label));
      assert.equal(res.body.error, 'invalid_request');
      assert.match(res.body.message, /label must not contain control characters/);
    }
    assert.deepEqual(await mfa.methods.list('bob'), []);
  });

  it('unknown API endpoints and malformed ids → 4xx JSON', async () => {
    const { app, clock } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/mfa/api/nope')).status, 404);
    assert.equal((await agent.delete('/mfa/api/devices/..%2F..')).status, 400);
    assert.equal((await agent.delete('/mfa/api/devices/unknown-device')).status, 404);
  });

  it('an open redirect through returnTo is refused', async () => {
    const { app, clock } = makeApp({ trustedNetworks: ['127.0.0.0/8', '::1/128'] });
    await enrolUser(app, clock, 'alice');
    for (const evil of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      '/\t/evil.example/x',
      '/\n/evil.example',
    ]) {
      const res = await request(app)
        .post('/login')
        .set('Accept', 'text/html')
        .type('form')
        .send({ username: 'alice', password: 'alice-pw', returnTo: evil });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/account', evil);
    }
  });

  it('invalid createMfa options are rejected with the path of each problem', () => {
    assert.throws(
      () => makeApp({ sealingKeys: [{ id: 'k1', key: Buffer.alloc(16) }] }),
      /sealingKeys\.0\.key: must be 32 bytes/,
    );
    assert.throws(() => makeApp({ totp: { digits: 7 } as never }), /totp\.digits/);
    assert.throws(() => makeApp({ rememberDevice: { days: 90, maxDays: 30 } as never }), /rememberDevice/);
  });
});
