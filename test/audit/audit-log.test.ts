// The engine's audit helper: it builds the envelope (the clock's time, the user, the client
// address, a well-formed request id) around what a service says happened, and writes the same
// JSON to the sink and the repository, with the field names the audit log has always had.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import type { AuditEvent } from '../../src/audit/events.ts';
import { createAuditLog } from '../../src/engine/audit-log.ts';
import { cryptoRandom } from '../../src/engine/capabilities.ts';
import { testClock } from '../helpers/test-clock.ts';

function harness() {
  const clock = testClock();
  const { repository } = createMemoryStores({ clock });
  const events: AuditEvent[] = [];
  const audit = createAuditLog({ sink: (e) => void events.push(e), repository, random: cryptoRandom, clock });
  return { clock, repository, events, audit };
}

describe('the audit helper', () => {
  it('adds the time, user, address and request id; the event reads envelope first, then its own fields', async () => {
    const h = harness();
    await h.audit(
      'alice',
      { ip: '198.51.100.7', requestId: 'req-1' },
      {
        type: 'verified',
        methodId: 'm1',
        methodKind: 'totp',
      },
    );
    assert.deepEqual(h.events, [
      {
        type: 'verified',
        at: h.clock.now(),
        userId: 'alice',
        ip: '198.51.100.7',
        requestId: 'req-1',
        methodId: 'm1',
        methodKind: 'totp',
      },
    ]);
    assert.deepEqual(Object.keys(h.events[0] ?? {}), [
      'type',
      'at',
      'userId',
      'ip',
      'requestId',
      'methodId',
      'methodKind',
    ]);
    const [stored] = await h.repository.listAudit({ limit: 10 });
    assert.equal(stored?.type, 'verified');
    assert.equal(stored?.userId, 'alice');
    assert.equal(stored?.at, h.clock.now());
    assert.deepEqual(JSON.parse(JSON.stringify(stored?.data)), {
      ip: '198.51.100.7',
      requestId: 'req-1',
      methodId: 'm1',
      methodKind: 'totp',
    });
  });

  it('records only the address and request id of a context: an extra field (an admin name, a cookie) never reaches an event', async () => {
    const h = harness();
    const ctx = { ip: '127.0.0.1', by: 'cli', cookie: 'mfakit_rd=secret' };
    await h.audit(null, ctx, { type: 'tokens_imported', data: { count: 2 } });
    assert.deepEqual(h.events, [
      { type: 'tokens_imported', at: h.clock.now(), userId: null, ip: '127.0.0.1', data: { count: 2 } },
    ]);
    const [stored] = await h.repository.listAudit({ limit: 1 });
    assert.ok(!JSON.stringify(stored).includes('secret'));
  });

  it('drops a malformed request id (never replaced) and leaves out an unknown address', async () => {
    const h = harness();
    await h.audit('bob', { requestId: 'a b\r\n<script>' }, { type: 'sessions_revoked' });
    assert.deepEqual(h.events, [{ type: 'sessions_revoked', at: h.clock.now(), userId: 'bob' }]);
  });

  it('a failing sink is a warning, never an error for the caller; the repository still gets the event', async () => {
    const clock = testClock();
    const { repository } = createMemoryStores({ clock });
    const audit = createAuditLog({
      sink: () => {
        throw new Error('disk full');
      },
      repository,
      random: cryptoRandom,
      clock,
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      await audit('alice', { ip: '10.0.0.1' }, { type: 'locked', detail: 'locked' });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    assert.ok(warnings.some((w) => w.includes('disk full')));
    assert.equal((await repository.listAudit({ limit: 1 }))[0]?.type, 'locked');
  });
});
