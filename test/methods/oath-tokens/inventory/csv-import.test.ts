/** OATH hardware tokens: parsing and importing the inventory CSV, and every way a file is refused. */

import assert from 'node:assert/strict';
import { MfaError } from '../../../../src/errors.ts';
import { base32Encode } from '../../../../src/methods/otp/base32.ts';
import {
  ctx,
  events,
  GOOD_CSV,
  HEADER,
  hex20,
  now,
  rejectsCsv,
  repository,
  SEED_1,
  SEED_2,
  SEED_3,
  SEED_4,
  sealer,
  seedOf,
  tokens,
  useOathTokenWorld,
} from './fixtures.ts';

describe('OATH hardware tokens', () => {
  useOathTokenWorld();

  describe('parseCsv / importCsv', () => {
    it('parses hex and base32 secrets, mixed algorithms, HOTP and TOTP (60 s), CRLF and blank lines', () => {
      const { tokens: parsed } = tokens.parseCsv(GOOD_CSV);
      assert.deepEqual(
        parsed.map(({ seed: _seed, ...rest }) => rest),
        [
          { line: 2, serial: 'HW-0001', kind: 'hotp', algorithm: 'sha1', digits: 6, period: 0 },
          { line: 4, serial: 'HW-0002', kind: 'totp', algorithm: 'sha256', digits: 8, period: 60 },
          { line: 5, serial: 'HW-0003', kind: 'totp', algorithm: 'sha512', digits: 6, period: 30 },
          { line: 6, serial: 'HW-0004', kind: 'hotp', algorithm: 'sha1', digits: 8, period: 0 },
        ],
      );
      assert.deepEqual(
        parsed.map((t) => t.seed.toString('hex')),
        [SEED_1, SEED_2, SEED_3, SEED_4].map((s) => s.toString('hex')),
      );
    });

    it('decides hex vs base32 by the documented rule, and a prefix overrides it', () => {
      // 32 characters of [A-F2-7]: valid as both; unprefixed it is hex (16 bytes), with base32: 20 bytes.
      const ambiguous = 'ABCDEFABCDEFABCDEFABCDEFABCDEF22';
      const csv = [
        'secret,serial,period,digits,algorithm', // column order is free
        `${ambiguous},A1,30,6,sha1`,
        `base32:${ambiguous},A2,30,6,sha1`,
        `HEX:${hex20('x')},A3,30,6,sha1`,
      ].join('\n');
      const [a1, a2, a3] = tokens.parseCsv(csv).tokens;
      assert.deepEqual(a1?.seed, Buffer.from(ambiguous, 'hex'));
      assert.equal(a2?.seed.length, 20);
      assert.deepEqual(a3?.seed, Buffer.from(hex20('x'), 'hex'));
    });

    it('imports all tokens sealed under token:<serial>, lists them without secrets, audits the count only', async () => {
      assert.deepEqual(await tokens.importCsv(GOOD_CSV, ctx), { imported: 4 });
      const listed = await tokens.list();
      assert.deepEqual(
        listed.map((t) => [t.serial, t.kind, t.algorithm, t.digits, t.period, t.assignedTo, t.importedAt]),
        [
          ['HW-0001', 'hotp', 'sha1', 6, 0, null, now],
          ['HW-0002', 'totp', 'sha256', 8, 60, null, now],
          ['HW-0003', 'totp', 'sha512', 6, 30, null, now],
          ['HW-0004', 'hotp', 'sha1', 8, 0, null, now],
        ],
      );
      for (const t of listed)
        assert.deepEqual(Object.keys(t).sort(), [
          'algorithm',
          'assignedTo',
          'digits',
          'importedAt',
          'kind',
          'period',
          'serial',
        ]);

      const stored = await repository.getToken('HW-0002');
      assert.ok(stored);
      assert.ok(!stored.sealedSecret.includes(base32Encode(SEED_2)));
      assert.deepEqual(sealer.open(stored.sealedSecret, 'token:HW-0002'), SEED_2);
      assert.throws(() => sealer.open(stored.sealedSecret, 'token:HW-0001'), { code: 'sealed_invalid' });

      const imported = events.filter((e) => e.type === 'tokens_imported');
      assert.equal(imported.length, 1);
      assert.deepEqual(imported[0]?.data, { count: 4 });
      assert.equal(imported[0]?.ip, ctx.ip);
      const dump = JSON.stringify(events);
      for (const s of [SEED_1, SEED_2, SEED_3, SEED_4]) {
        assert.ok(
          !dump.includes(s.toString('hex')) && !dump.toLowerCase().includes(base32Encode(s).toLowerCase()),
        );
      }
    });

    it('bad digits → csv_invalid with the line number, nothing imported', async () => {
      await rejectsCsv([HEADER, `T1,${hex20('a')},sha1,6,30`, `T2,${hex20('b')},sha1,7,30`].join('\n'), [
        /^line 3: digits must be 6 or 8$/,
      ]);
    });

    it('a secret shorter than 16 bytes → csv_invalid', async () => {
      await rejectsCsv([HEADER, `T1,${seedOf('s', 15).toString('hex')},sha1,6,30`].join('\n'), [
        /line 2: secret .*16/,
      ]);
      await rejectsCsv([HEADER, `T1,base32:${base32Encode(seedOf('s', 15))},sha1,6,30`].join('\n'), [
        /line 2: secret is 15 bytes; at least 16/,
      ]);
    });

    it('a secret longer than 64 bytes → csv_invalid', async () => {
      await rejectsCsv([HEADER, `T1,hex:${Buffer.alloc(65, 1).toString('hex')},sha512,6,30`].join('\n'), [
        /line 2: secret is 65 bytes; at most 64/,
      ]);
    });

    it('a duplicate serial within the file → csv_invalid naming both lines', async () => {
      await rejectsCsv([HEADER, `T1,${hex20('a')},sha1,6,30`, '', `T1,${hex20('b')},sha1,6,30`].join('\n'), [
        /line 4: serial T1 is a duplicate of line 2/,
      ]);
    });

    it('an unknown algorithm → csv_invalid', async () => {
      await rejectsCsv([HEADER, `T1,${hex20('a')},md5,6,30`].join('\n'), [
        /line 2: algorithm must be sha1, sha256 or sha512/,
      ]);
    });

    it('a TOTP period outside 15..120, or a HOTP token with a period → csv_invalid', async () => {
      await rejectsCsv(
        [
          `${HEADER},kind`,
          `T1,${hex20('a')},sha1,6,10,`,
          `T2,${hex20('b')},sha1,6,121,totp`,
          `T3,${hex20('c')},sha1,6,30,hotp`,
          `T4,${hex20('d')},sha1,6,,totp`,
          `T5,${hex20('e')},sha1,6,30,motp`,
        ].join('\n'),
        [
          /line 2: period must be 15 to 120 seconds for TOTP/,
          /line 3: period must be 15 to 120 seconds for TOTP/,
          /line 4: period must be empty or 0 for HOTP/,
          /line 5: period must be 15 to 120 seconds for TOTP/,
          /line 6: kind must be hotp or totp/,
        ],
      );
    });

    it('collects every problem of every line in one error, without echoing secrets', async () => {
      const shortSecret = seedOf('short', 10).toString('hex');
      const message = await rejectsCsv(
        [
          HEADER,
          `G1,${hex20('g1')},sha1,6,30`,
          `B1,${hex20('b1')},sha1,9,30`,
          `B2,${shortSecret},sha1,6,30`,
          `G2,${hex20('g2')},sha256,8,60`,
          `G1,${hex20('g3')},sha1,6,30`,
          `B3,${hex20('b3')},whirlpool,5,30`,
          `B4,${hex20('b4')},sha1,6`,
          `B"5,${hex20('b5')},sha1,6,30`,
          `bad serial!,${hex20('b6')},sha1,6,30`,
        ].join('\r\n'),
        [
          /line 3: digits must be 6 or 8/,
          /line 4: secret/,
          /line 6: serial G1 is a duplicate of line 2/,
          /line 7: algorithm must be/,
          /line 7: digits must be 6 or 8/,
          /line 8: expected 5 fields .*found 4/,
          /line 9: quoted fields are not supported/,
          /line 10: serial must be/,
        ],
      );
      assert.doesNotMatch(message, /line 2:|line 5:/);
      assert.ok(!message.includes(shortSecret));
      assert.ok(!message.includes(hex20('b3')));
    });

    it('missing or unknown columns → csv_invalid on line 1', async () => {
      await rejectsCsv(['serial,secret,algorithm,digits', `T1,${hex20('a')},sha1,6`].join('\n'), [
        /^line 1: missing column\(s\): period$/,
      ]);
      await rejectsCsv([`${HEADER},colour`, `T1,${hex20('a')},sha1,6,30,red`].join('\n'), [
        /line 1: unknown column "colour"/,
      ]);
      await rejectsCsv(['serial,secret,secret,digits,period', `T1,${hex20('a')},x,6,30`].join('\n'), [
        /line 1: column "secret" appears twice/,
        /line 1: missing column\(s\): algorithm/,
      ]);
    });

    it('a CSV without a header → csv_invalid that does not echo the first line', async () => {
      const secret = hex20('first');
      const message = await rejectsCsv([`T1,${secret},sha1,6,30`, `T2,${hex20('b')},sha1,6,30`].join('\n'), [
        /^line 1: the first line must be the header serial,secret,algorithm,digits,period/,
      ]);
      assert.ok(!message.includes(secret));
      const long = await rejectsCsv([`${HEADER},${secret}`, `T1,${hex20('a')},sha1,6,30,x`].join('\n'), [
        /line 1: unknown column 6 /,
      ]);
      assert.ok(!long.includes(secret));
    });

    it('an empty CSV, or a header without rows → csv_invalid', async () => {
      await rejectsCsv('', [/line 1: the CSV is empty/]);
      await rejectsCsv(`\r\n${HEADER}\r\n\r\n`, [/line 2: the CSV has a header but no token rows/]);
    });

    it('more than 10,000 rows → csv_invalid naming the first excess line; exactly 10,000 import', async () => {
      const rows = (n: number) =>
        Array.from({ length: n }, (_, i) => `S${i},${hex20(`row${i % 50}`)},sha1,6,30`);
      await rejectsCsv([HEADER, ...rows(10_001)].join('\n'), [
        /^line 10002: too many rows: at most 10000 tokens/,
      ]);
      assert.deepEqual(await tokens.importCsv([HEADER, ...rows(10_000)].join('\n'), ctx), {
        imported: 10_000,
      });
      assert.equal((await tokens.list()).length, 10_000);
    });

    it('more than 2 MB of text → csv_invalid (413)', async () => {
      const big = `${HEADER}\n${'\n'.repeat(2 * 1024 * 1024)}T1,${hex20('a')},sha1,6,30`;
      await rejectsCsv(big, [/larger than 2 MB/], 413);
    });

    it('a serial already in the inventory → token_exists (409), and nothing of the file is imported', async () => {
      await tokens.importCsv([HEADER, `HW-0001,${hex20('a')},sha1,6,30`].join('\n'), ctx);
      await assert.rejects(
        tokens.importCsv(
          [HEADER, `HW-0009,${hex20('b')},sha1,6,30`, `HW-0001,${hex20('c')},sha1,6,30`].join('\n'),
          ctx,
        ),
        (err: unknown) =>
          err instanceof MfaError &&
          err.code === 'token_exists' &&
          err.status === 409 &&
          /HW-0001/.test(err.message),
      );
      assert.deepEqual(
        (await tokens.list()).map((t) => t.serial),
        ['HW-0001'],
      );
      // The original token still opens with its original seed.
      const stored = await repository.getToken('HW-0001');
      assert.deepEqual(sealer.open(stored?.sealedSecret ?? '', 'token:HW-0001'), seedOf('a', 20));
    });
  });
});
