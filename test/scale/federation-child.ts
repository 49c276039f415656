// One federation-server process for the tests of several processes (test/scale/two-processes.ts
// forks it): the sample's own start-up path (sample-idp/federation-process.ts: the stores from
// DATABASE_URL / REDIS_URL, the secrets from FED_SEALING_KEYS / FED_COOKIE_KEYS / FED_SIGNING_JWK,
// the policies in the store) with the test's config (FED_TEST_CONFIG, JSON) on a free loopback
// port. It reports `{ type: 'ready', url }` to its parent, then does what an administrator or the
// user would do in this process when asked (`{ id, op, user?, document? }` → `{ id, ok, value }`):
// register an authenticator app, reset a user, revoke remembered devices, add a policy to the
// saved document.
import assert from 'node:assert/strict';
import { parseFederationConfig } from '../../sample-idp/federation/config.ts';
import { startFederationProcess } from '../../sample-idp/federation-process.ts';
import { listen } from '../helpers/listen.ts';
import { totpNow, totpSecretOf } from '../helpers/totp-now.ts';

interface Command {
  id: number;
  op: 'enrol' | 'resetUser' | 'revokeDevices' | 'addPolicy';
  user?: string;
  policy?: unknown;
}

const CTX = { ip: '127.0.0.1', requestId: 'test-admin' };

const config = await parseFederationConfig(JSON.parse(process.env.FED_TEST_CONFIG ?? '{}'), {});
const running = await startFederationProcess(config, process.env, () => {});
const { mfa } = running.fed;
const listening = await listen();
listening.handle(running.fed.app);

async function perform(command: Command): Promise<unknown> {
  const user = command.user ?? '';
  switch (command.op) {
    case 'enrol': {
      // Confirmed with the previous period's code, so the current one is still unused.
      const draft = await mfa.enrollment.begin('totp', user, user);
      const secret = totpSecretOf(draft);
      const confirmed = await mfa.enrollment.confirm(
        'totp',
        user,
        draft.draftId,
        { code: totpNow(secret, -1) },
        'app',
        CTX,
      );
      assert.equal(confirmed.ok, true);
      return secret;
    }
    case 'resetUser':
      await mfa.admin.resetUser(user, CTX);
      return null;
    case 'revokeDevices': {
      let revoked = 0;
      for (const device of await mfa.devices.list(user))
        if (await mfa.devices.revoke(user, device.id, CTX)) revoked++;
      return revoked;
    }
    case 'addPolicy': {
      const saved = await mfa.policies.saved();
      assert.ok(saved, 'the config seeded a document');
      const document = saved.document as { policies: unknown[] };
      const edited = { ...document, policies: [...document.policies, command.policy] };
      return (await mfa.policies.replace(edited, saved.version, { ...CTX, by: 'test admin' })).version;
    }
  }
}

process.on('message', (command: Command) => {
  perform(command).then(
    (value) => process.send?.({ id: command.id, ok: true, value }),
    (error: unknown) => process.send?.({ id: command.id, ok: false, error: String(error) }),
  );
});
process.on('disconnect', () => {
  listening.server.closeAllConnections();
  listening.server.close();
  running.close().finally(() => process.exit(0));
});
process.send?.({ type: 'ready', url: listening.url });
