// A revocation in this process is seen at once by the per-request session check, even when a
// read of the old state was already under way as it happened: that read answers its own caller,
// but is not cached, so the next request is refused (before, it could stay admitted for up to a
// second).
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { testClock } from '../helpers/test-clock.ts';
import { createTestMfa } from '../helpers/test-mfa.ts';

describe('session checks and revocations racing in one process', () => {
  it('a sign-out everywhere during an in-flight epoch read ends the session for the next request', async () => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    const repository = stores.repository;
    const original = repository.getCounter.bind(repository);
    let release: (() => void) | null = null;
    let held = false;
    // The first epoch read is held until the test lets it go: the read "under way".
    repository.getCounter = async (key: string) => {
      const value = await original(key);
      if (!held && key.startsWith('signin-epoch:')) {
        held = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      return value;
    };
    const { mfa } = createTestMfa(
      { stores, defaultUserState: 'disabled' },
      { clock, issuer: 'T', keyFill: 4 },
    );
    const start = await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: '198.51.100.7' });
    assert.equal(start.status, 'complete');
    if (start.status !== 'complete') return;
    clock.advance(1);

    const inFlight = mfa.isCurrent(start.stamp);
    while (release === null) await new Promise((r) => setImmediate(r));
    await mfa.admin.revokeSessions('alice', { ip: '198.51.100.7' });
    (release as () => void)();
    assert.equal(await inFlight, true, 'the read that began before the revocation answers what it read');
    assert.equal(await mfa.isCurrent(start.stamp), false, 'the next check sees the revocation at once');
  });
});
