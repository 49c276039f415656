// `mfakit` usage errors and help, run as an operator runs it: a child process, exit status 2 (usage).

import assert from 'node:assert/strict';
import { mfakit } from '../../helpers/mfakit-cli.ts';
import { policiesFile, useCliWorkspace } from './fixtures.ts';

describe('mfakit CLI', function () {
  // Each case starts a Node process or several.
  this.timeout(120_000);
  useCliWorkspace();

  describe('usage', () => {
    const cases: [string, string[], RegExp][] = [
      ['no command', [], /name a command/],
      ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
      [
        'an unknown option',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', 'x.json', '--colour'],
        /colour/,
      ],
      ['what-if without --ip', ['what-if', '--user', 'alice', '--policies', 'x.json'], /needs --ip/],
      [
        'what-if with both sources',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', 'x', '--db', 'y'],
        /exactly one/,
      ],
      ['what-if with neither source', ['what-if', '--user', 'a', '--ip', '192.0.2.1'], /exactly one/],
      ['a bad address', ['what-if', '--user', 'a', '--ip', '10.1', '--policies', 'x'], /--ip must be/],
      [
        'a trusted network written leniently (010.0.0.0/8 reads as 8.0.0.0/8)',
        ['what-if', '--user', 'a', '--ip', '8.8.8.8', '--trusted-network', '010.0.0.0/8', '--policies', 'x'],
        /--trusted-network: "010\.0\.0\.0\/8" must be an IPv4 or IPv6 address or CIDR/,
      ],
      [
        'a bad client type',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--client', 'fax', '--policies', 'x'],
        /--client must be one of/,
      ],
      [
        'a bad risk signal',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--risk', 'moon', '--policies', 'x'],
        /--risk/,
      ],
      [
        'a time without a zone',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--time', '2026-12-01T09:30', '--policies', 'x'],
        /--time/,
      ],
      [
        'an unknown user action',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--user-action', 'resetPassword', '--policies', 'x'],
        /--user-action must be one of registerSecurityInfo/,
      ],
      [
        'a user action with an app',
        [
          'what-if',
          '--user',
          'a',
          '--ip',
          '192.0.2.1',
          '--user-action',
          'registerSecurityInfo',
          '--app',
          'portal',
          '--policies',
          'x',
        ],
        /--user-action is not a sign-in to an app/,
      ],
      ['policies without a subcommand', ['policies'], /subcommand/],
      ['an unknown policies subcommand', ['policies', 'frob'], /unknown policies subcommand/],
      ['policies list without a store', ['policies', 'list'], /policies list needs --store \(or --db FILE\)/],
      ['policies show without an id', ['policies', 'show', '--db', 'x.sqlite'], /takes ID/],
      ['policies validate with --db', ['policies', 'validate', 'x.json', '--db', 'y'], /does not take --db/],
    ];
    for (const [name, args, message] of cases) {
      it(`${name}: exit 2 with the usage`, async () => {
        const res = await mfakit(args);
        assert.equal(res.code, 2, `${res.stdout}${res.stderr}`);
        assert.match(res.stderr, message);
        assert.match(res.stderr, /Usage:\n {2}mfakit what-if/);
        assert.equal(res.stdout, '');
      });
    }

    it('--help prints the usage on stdout (exit 0)', async () => {
      const res = await mfakit(['--help']);
      assert.equal(res.code, 0);
      assert.match(res.stdout, /mfakit policies import FILE STORE \[--if-version N\] \[--create\]/);
      assert.match(res.stdout, /--db FILE +the same as --store sqlite:FILE/);
    });

    it('a malformed MFAKIT_SEALING_KEY is refused (exit 1)', async () => {
      const res = await mfakit(['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', policiesFile], {
        MFAKIT_SEALING_KEY: 'c2hvcnQ=',
      });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /MFAKIT_SEALING_KEY/);
      const ok = await mfakit(['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', policiesFile], {
        MFAKIT_SEALING_KEY: Buffer.alloc(32, 7).toString('base64'),
      });
      assert.equal(ok.code, 0, ok.stderr);
    });
  });
});
