// bodyReaderFailure over the errors express.json really passes on, as a client (or an attacker)
// provokes them over HTTP: oversized (by Content-Length, and by a small gzip body that inflates past
// the limit), malformed JSON, a charset or Content-Encoding the reader does not decode, a gzip body
// that is not gzip — each told apart, with the reader's 4xx status; a server's own error is not one.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { bodyReaderFailure } from '../../src/web/body-errors.ts';

/** A JSON route behind express.json({ limit }); its error handler answers with the classification. */
function appWithLimit(limit: string | number) {
  const app = express();
  app.post('/json', express.json({ limit }), (req, res) => {
    res.json({ read: req.body });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const failure = bodyReaderFailure(err);
    res.status(failure?.status ?? 500).json({ failure });
  });
  return app;
}

const postJson = (app: express.Express, body: string | Buffer, type = 'application/json') =>
  request(app).post('/json').set('Content-Type', type).send(body);

describe('bodyReaderFailure: what a body reader refused', () => {
  it('a body within the limit is read: no failure', async () => {
    const res = await postJson(appWithLimit('1kb'), '{"code":"123456"}');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.read, { code: '123456' });
  });

  it('a body over the limit is too_large (413), with the limit as the option says it', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(2000) });
    const res = await postJson(appWithLimit('1kb'), big);
    assert.equal(res.status, 413);
    assert.deepEqual(res.body.failure, {
      kind: 'too_large',
      status: 413,
      limit: '1kb',
      type: 'entity.too.large',
    });
    assert.equal(
      (await postJson(appWithLimit('1mb'), 'x'.repeat(1024 * 1024 + 1))).body.failure.limit,
      '1mb',
    );
    assert.equal((await postJson(appWithLimit(1500), big)).body.failure.limit, '1500 bytes');
  });

  it('attack: a small gzip body that inflates past the limit is too_large, not read whole', async () => {
    const bomb = gzipSync(JSON.stringify({ pad: 'x'.repeat(200_000) }));
    assert.ok(bomb.length < 1024, 'the compressed body is under the limit');
    const res = await request(appWithLimit('1kb'))
      .post('/json')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      // Sent as it is (superagent would write a Buffer out as JSON; its typings say a serializer returns text).
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(bomb);
    assert.equal(res.status, 413);
    assert.equal(res.body.failure.kind, 'too_large');
    assert.equal(res.body.failure.limit, '1kb');
  });

  it('malformed JSON is malformed (400)', async () => {
    for (const body of ['{"code": "12', '{"a":1,}', "{'a':1}"]) {
      const res = await postJson(appWithLimit('1kb'), body);
      assert.equal(res.status, 400, body);
      assert.deepEqual(
        res.body.failure,
        { kind: 'malformed', status: 400, type: 'entity.parse.failed' },
        body,
      );
    }
  });

  it('a charset or Content-Encoding the reader does not decode is unreadable (415), not malformed', async () => {
    // JSON is read in UTF-8, -16 or -32 only (RFC 7159 §8.1: the reader refuses any charset but utf-*).
    const charset = await postJson(appWithLimit('1kb'), '{"a":1}', 'application/json; charset=latin1');
    assert.equal(charset.status, 415);
    assert.deepEqual(charset.body.failure, { kind: 'unreadable', status: 415, type: 'charset.unsupported' });
    const encoding = await request(appWithLimit('1kb'))
      .post('/json')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'compress')
      .send('{"a":1}');
    assert.equal(encoding.status, 415);
    assert.deepEqual(encoding.body.failure, {
      kind: 'unreadable',
      status: 415,
      type: 'encoding.unsupported',
    });
  });

  it('attack: a gzip body that is not gzip is unreadable (400), never a 5xx', async () => {
    const res = await request(appWithLimit('1kb'))
      .post('/json')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('not gzip at all');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.failure, { kind: 'unreadable', status: 400 });
  });

  it("a server's own error is no body reader's refusal", () => {
    assert.equal(bodyReaderFailure(new Error('store down')), null);
    assert.equal(
      bodyReaderFailure(Object.assign(new Error('stream is not readable'), { status: 500 })),
      null,
    );
    assert.equal(bodyReaderFailure(null), null);
    assert.equal(bodyReaderFailure('entity.too.large'), null);
  });
});
