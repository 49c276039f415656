// The federation server's `appPasswords` config: on by default for a year, for the server's own
// legacy applications (RADIUS when configured, the HTTP Basic API); bad values refused by path.
import assert from 'node:assert/strict';
import { parseFederationConfig } from '../../sample-idp/federation/config.ts';
import { problems, valid } from './federation-config-fixtures.ts';

describe('sample-idp federation config: appPasswords', () => {
  it('appPasswords: on by default for a year; lifetimeDays null means no expiry; bad values are refused by path', async () => {
    const env = { PARTNER_SECRET: 'x'.repeat(20) };
    const on = await parseFederationConfig(valid(), env);
    assert.deepEqual(on.appPasswords, { enabled: true, lifetimeDays: 365, excludeGroups: [] });
    const forever = await parseFederationConfig(
      { ...valid(), appPasswords: { lifetimeDays: null, excludeGroups: ['admins'] } },
      env,
    );
    assert.deepEqual(forever.appPasswords, { enabled: true, lifetimeDays: null, excludeGroups: ['admins'] });
    assert.match(
      (await problems({ ...valid(), appPasswords: { lifetimeDays: 0 } }))[0] ?? '',
      /^appPasswords\.lifetimeDays: must be at least 1/,
    );
    assert.match(
      (await problems({ ...valid(), appPasswords: { enabled: 'yes' } }))[0] ?? '',
      /^appPasswords\.enabled: must be true or false/,
    );
    assert.match(
      (await problems({ ...valid(), appPasswords: { apps: [] } }))[0] ?? '',
      /^appPasswords: Unrecognized key: "apps"/,
    );
  });
});
