import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pinoAuditSink } from '../../src/audit/events.ts';

describe('the default audit sink', () => {
  it('writes one JSON line per event with its type, user and detail', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const sink = pinoAuditSink(destination);
    await sink({
      type: 'verify_failed',
      at: 1,
      userId: 'alice',
      ip: '198.51.100.7',
      detail: 'replayed_step',
    });
    await sink({ type: 'locked', at: 2, userId: 'alice', detail: 'locked' });
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0] ?? '{}');
    assert.equal(first.msg, 'verify_failed');
    assert.equal(first.component, 'mfakit-audit');
    assert.deepEqual(first.audit, {
      type: 'verify_failed',
      at: 1,
      userId: 'alice',
      ip: '198.51.100.7',
      detail: 'replayed_step',
    });
  });
});
