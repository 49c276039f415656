import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import type { AuditEvent } from '../../../src/audit/events.ts';
import { createSealer, type Sealer } from '../../../src/crypto/seal.ts';
import { createAuditLog } from '../../../src/engine/audit-log.ts';
import { cryptoRandom } from '../../../src/engine/capabilities.ts';
import { createMfa, type Mfa } from '../../../src/engine/create-mfa.ts';
import { MfaError } from '../../../src/errors.ts';
import { createOathTokens, type OathTokens } from '../../../src/methods/oath-tokens/inventory.ts';
import { base32Encode } from '../../../src/methods/otp/base32.ts';
import { hotpCode, totpCode } from '../../../src/methods/otp/otp.ts';
import { otpDataOf, sealedSecretContext } from '../../../src/methods/otp/otp-record.ts';
import type { MethodRecord, Repository } from '../../../src/store/ports.ts';

/** Where a method's last accepted counter lives (a token's: by serial). */
const counterKeyOf = (method: MethodRecord) => {
  assert.ok(method.counterKey);
  return method.counterKey;
};

const seedOf = (label: string, length: number) =>
  createHash('sha512').update(label).digest().subarray(0, length);

// HW-0001: the RFC 4226 seed, plain hex.
const SEED_1 = Buffer.from('12345678901234567890', 'ascii');
// HW-0002: 32 bytes, plain (upper-case) base32, TOTP by default because period > 0.
const SEED_2 = seedOf('HW-0002', 32);
// HW-0003: 64 bytes, explicit hex: prefix.
const SEED_3 = seedOf('HW-0003', 64);
// HW-0004: 20 bytes, explicit base32: prefix, lower case, HOTP because period is 0.
const SEED_4 = seedOf('HW-0004', 20);

const GOOD_CSV = [
  'serial,secret,algorithm,digits,period,kind',
  `HW-0001,${SEED_1.toString('hex')},SHA1,6,,hotp`,
  '',
  `HW-0002,${base32Encode(SEED_2)},sha256,8,60,`,
  `HW-0003,hex:${SEED_3.toString('hex')},Sha512,6,30,totp`,
  `HW-0004,base32:${base32Encode(SEED_4).toLowerCase()},sha1,8,0,`,
  '',
].join('\r\n');

const HEADER = 'serial,secret,algorithm,digits,period';
const hex20 = (label: string) => seedOf(label, 20).toString('hex');

/** The engine's settings the tests rely on, given explicitly so the test's own views match. */
const KEYS = [{ id: 'k1', key: Buffer.alloc(32, 7) }];
const HOTP = { lookAhead: 10, resyncWindow: 100 };

describe('OATH hardware tokens', () => {
  let now: number;
  /** The stores and the sealer the engine works with (same key), for looking below the facade. */
  let repository: Repository;
  let sealer: Sealer;
  /** The token service over the same store and key, with a given resync window. */
  let tokensWith: (resyncWindow: number) => OathTokens;
  let mfa: Mfa;
  let tokens: OathTokens;
  let events: AuditEvent[];
  const ctx = { ip: '198.51.100.7', requestId: 'req-1' };

  beforeEach(() => {
    now = Date.UTC(2025, 5, 1, 8, 0, 10);
    const clock = { now: () => now };
    events = [];
    const stores = createMemoryStores({ clock });
    const audit = async (e: AuditEvent) => {
      events.push(e);
    };
    mfa = createMfa({
      stores,
      clock,
      issuer: 'Test',
      sealingKeys: KEYS,
      audit,
      hotp: HOTP,
      lockout: { backoffBaseMs: 0 },
    });
    repository = stores.repository;
    sealer = createSealer(KEYS, cryptoRandom);
    tokensWith = (resyncWindow) =>
      createOathTokens({
        repository,
        sealer,
        clock,
        random: cryptoRandom,
        resyncWindow,
        audit: createAuditLog({ sink: audit, repository, random: cryptoRandom, clock }),
      });
    tokens = tokensWith(HOTP.resyncWindow);
  });

  /** Asserts a csv_invalid rejection whose message contains every pattern, and that nothing was stored. */
  async function rejectsCsv(csv: string, patterns: RegExp[], status = 400) {
    let message = '';
    await assert.rejects(tokens.importCsv(csv, ctx), (err: unknown) => {
      assert.ok(err instanceof MfaError, `expected MfaError, got ${String(err)}`);
      assert.equal(err.code, 'csv_invalid');
      assert.equal(err.status, status);
      message = err.message;
      return true;
    });
    for (const p of patterns) assert.match(message, p);
    assert.deepEqual(await tokens.list(), [], 'nothing imported');
    assert.ok(!events.some((e) => e.type === 'tokens_imported'));
    return message;
  }

  const signIn = async (userId: string) => {
    const start = await mfa.beginSignIn({ userId, amr: ['pwd'], ip: '198.51.100.7' });
    assert.equal(start.status, 'mfa');
    if (start.status !== 'mfa') throw new Error('unreachable');
    assert.equal(start.pending.mustEnroll, false);
    return start.pending;
  };
  const verify = async (userId: string, code: string) => {
    const pending = await signIn(userId);
    return mfa.verifyPending(pending.id, { code }, { ip: '198.51.100.7' });
  };

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

  describe('assign, sign-in and resync', () => {
    beforeEach(async () => {
      await tokens.importCsv(GOOD_CSV, ctx);
    });

    it('assigns a HOTP token: the method carries the serial, its seed is re-sealed for the user', async () => {
      const method = await tokens.assign('HW-0001', 'alice', 'Key fob', ctx);
      assert.equal(method.kind, 'hotp');
      const data = otpDataOf(method);
      assert.equal(data.tokenSerial, 'HW-0001');
      assert.equal(method.counterKey, 'token:HW-0001');
      assert.equal(method.label, 'Key fob');
      assert.deepEqual([data.algorithm, data.digits, data.period], ['sha1', 6, 0]);

      const methods = await mfa.methods.list('alice');
      assert.deepEqual(
        methods.map((m) => [m.id, m.kind, m.details.tokenSerial, m.description]),
        [[method.id, 'hotp', 'HW-0001', 'Hardware token HW-0001']],
      );
      const stored = await repository.getMethod('alice', method.id);
      const token = await repository.getToken('HW-0001');
      assert.ok(stored && token);
      assert.equal(token.assignedTo, 'alice');
      const storedSecret = otpDataOf(stored).sealedSecret;
      assert.notEqual(storedSecret, token.sealedSecret);
      assert.deepEqual(sealer.open(storedSecret, sealedSecretContext('alice', method.id)), SEED_1);
      assert.throws(() => sealer.open(storedSecret, 'token:HW-0001'));
      assert.equal((await tokens.list()).find((t) => t.serial === 'HW-0001')?.assignedTo, 'alice');

      const assigned = events.filter((e) => e.type === 'token_assigned');
      assert.equal(assigned.length, 1);
      assert.equal(assigned[0]?.userId, 'alice');
      assert.equal(assigned[0]?.methodId, method.id);
      assert.equal(assigned[0]?.detail, 'HW-0001');
    });

    it('signs in with HOTP codes; refuses replay and codes past the look-ahead; resync moves the window', async () => {
      const method = await tokens.assign('HW-0001', 'alice', 'Key fob', ctx);
      const code = (counter: number) => hotpCode(SEED_1, { algorithm: 'sha1', digits: 6, counter });
      const lookAhead = HOTP.lookAhead;
      assert.equal(lookAhead, 10);

      const first = await verify('alice', code(0));
      assert.ok(first.ok, 'counter 0 signs in');
      if (!first.ok) return;
      assert.deepEqual(first.stamp.amr, ['pwd', 'otp', 'hwk', 'mfa']);

      assert.deepEqual(
        await verify('alice', code(0)),
        { ok: false, error: 'invalid_code' },
        'replay refused',
      );
      // Last accepted is 0, so 1..11 are in the window: 12 is not, nor 52.
      assert.deepEqual(await verify('alice', code(lookAhead + 2)), { ok: false, error: 'invalid_code' });
      assert.deepEqual(await verify('alice', code(52)), { ok: false, error: 'invalid_code' });
      assert.equal(await repository.getCounter(counterKeyOf(method)), 0);

      // Resync needs two consecutive codes.
      assert.equal(await tokens.resync('alice', method.id, code(50), code(52), ctx), false);
      assert.equal(await tokens.resync('alice', method.id, code(51), code(50), ctx), false);
      assert.equal(await tokens.resync('alice', method.id, code(50), '12345', ctx), false);
      assert.equal(await repository.getCounter(counterKeyOf(method)), 0);
      assert.equal(await tokens.resync('alice', method.id, code(50), code(51), ctx), true);
      assert.equal(await repository.getCounter(counterKeyOf(method)), 51);
      const resynced = events.filter((e) => e.type === 'counter_resynced');
      assert.equal(resynced.length, 1);
      assert.equal(resynced[0]?.methodId, method.id);
      assert.deepEqual(resynced[0]?.data, { from: 0, to: 51 });

      // The resync codes themselves are spent; the next one works, once.
      assert.deepEqual(await verify('alice', code(51)), { ok: false, error: 'invalid_code' });
      const after = await verify('alice', code(52));
      assert.ok(after.ok, 'counter 52 signs in after the resync');
      if (!after.ok) return;
      assert.deepEqual(after.stamp.amr, ['pwd', 'otp', 'hwk', 'mfa']);
      assert.deepEqual(await verify('alice', code(52)), { ok: false, error: 'invalid_code' });
    });

    it('resync searches exactly resyncWindow counters past the last accepted one', async () => {
      const method = await tokens.assign('HW-0004', 'alice', '', ctx);
      assert.equal(method.label, 'Hardware token HW-0004');
      const code = (counter: number) => hotpCode(SEED_4, { algorithm: 'sha1', digits: 8, counter });
      const window = HOTP.resyncWindow;
      assert.equal(window, 100);
      // Nothing accepted yet (counter -1): code1 may sit at 0..100.
      assert.equal(await tokens.resync('alice', method.id, code(window + 1), code(window + 2), ctx), false);
      assert.equal(await tokens.resync('alice', method.id, code(window), code(window + 1), ctx), true);
      assert.equal(await repository.getCounter(counterKeyOf(method)), window + 1);
      // Replaying the same pair does not move it again.
      assert.equal(await tokens.resync('alice', method.id, code(window), code(window + 1), ctx), false);
      const ok = await verify('alice', code(window + 2));
      assert.ok(ok.ok);
    });

    it('resync works over a large window, and past a chance match of the first code', async () => {
      // Find a seed whose 6-digit codes repeat within 0..900: code(i) === code(j), i < j, code(i+1) !== code(j+1).
      const codeOf = (seed: Buffer, counter: number) =>
        hotpCode(seed, { algorithm: 'sha1', digits: 6, counter });
      let found: { seed: Buffer; i: number; j: number } | null = null;
      for (let n = 0; found === null && n < 100; n++) {
        const seed = seedOf(`collide-${n}`, 20);
        const firstAt = new Map<string, number>();
        for (let c = 0; c <= 900 && found === null; c++) {
          const code = codeOf(seed, c);
          const i = firstAt.get(code);
          if (i !== undefined && codeOf(seed, i + 1) !== codeOf(seed, c + 1)) found = { seed, i, j: c };
          else if (i === undefined) firstAt.set(code, c);
        }
      }
      assert.ok(found, 'a seed with a repeated code');
      const { seed, i, j } = found;
      await tokens.importCsv([HEADER, `BIG-1,${seed.toString('hex')},sha1,6,`].join('\n'), ctx);
      const wide = tokensWith(1000);
      const method = await wide.assign('BIG-1', 'carol', 'Fob', ctx);
      assert.ok(i < j);
      assert.equal(await wide.resync('carol', method.id, codeOf(seed, j), codeOf(seed, j + 1), ctx), true);
      assert.equal(await repository.getCounter(counterKeyOf(method)), j + 1);
      // From j + 1 the window reaches j + 2 + 1000; one past it is refused, the edge accepted.
      const edge = j + 2 + 1000;
      assert.equal(
        await wide.resync('carol', method.id, codeOf(seed, edge + 1), codeOf(seed, edge + 2), ctx),
        false,
      );
      assert.equal(
        await wide.resync('carol', method.id, codeOf(seed, edge), codeOf(seed, edge + 1), ctx),
        true,
      );
      assert.equal(await repository.getCounter(counterKeyOf(method)), edge + 1);
    });

    it('resync refuses TOTP methods (not_hotp) and unknown methods', async () => {
      const totp = await tokens.assign('HW-0002', 'bob', 'Card', ctx);
      await assert.rejects(tokens.resync('bob', totp.id, '12345678', '12345678', ctx), {
        code: 'not_hotp',
        status: 400,
      });
      await assert.rejects(tokens.resync('bob', 'nope', '123456', '123456', ctx), { code: 'unknown_method' });
      const hotp = await tokens.assign('HW-0001', 'alice', 'Fob', ctx);
      await assert.rejects(tokens.resync('bob', hotp.id, '123456', '123456', ctx), {
        code: 'unknown_method',
      });
    });

    it('a 60 s SHA-256 TOTP token signs in with its own period and algorithm', async () => {
      const method = await tokens.assign('HW-0002', 'bob', 'Card', ctx);
      assert.deepEqual(
        [method.kind, otpDataOf(method).algorithm, otpDataOf(method).digits, otpDataOf(method).period],
        ['totp', 'sha256', 8, 60],
      );
      const code = (period: number) =>
        totpCode(SEED_2, { algorithm: 'sha256', digits: 8, period, epochSeconds: Math.floor(now / 1000) });
      assert.deepEqual(
        await verify('bob', code(30)),
        { ok: false, error: 'invalid_code' },
        'a 30 s code is not it',
      );
      const ok = await verify('bob', code(60));
      assert.ok(ok.ok);
      if (!ok.ok) return;
      assert.deepEqual(ok.stamp.amr, ['pwd', 'otp', 'hwk', 'mfa']);
      assert.deepEqual(await verify('bob', code(60)), { ok: false, error: 'invalid_code' }, 'replay refused');
    });

    it('20 concurrent assignments of one token: exactly one wins', async () => {
      const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
      const results = await Promise.allSettled(users.map((u) => tokens.assign('HW-0003', u, 'Card', ctx)));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 19);
      for (const r of lost) {
        assert.ok(r.reason instanceof MfaError);
        assert.equal(r.reason.code, 'token_unavailable');
        assert.equal(r.reason.status, 409);
      }
      const winner = won[0]?.status === 'fulfilled' ? won[0].value : null;
      assert.ok(winner);
      const token = await repository.getToken('HW-0003');
      assert.equal(token?.assignedTo, winner.userId);
      const methodCounts = await Promise.all(
        users.map(async (u) => (await repository.listMethods(u)).length),
      );
      assert.equal(
        methodCounts.reduce((a, b) => a + b, 0),
        1,
      );
      assert.equal(events.filter((e) => e.type === 'token_assigned').length, 1);
    });

    it('an unknown or already assigned serial → token_unavailable (409)', async () => {
      await assert.rejects(tokens.assign('NOPE-1', 'alice', 'x', ctx), {
        code: 'token_unavailable',
        status: 409,
      });
      await tokens.assign('HW-0001', 'alice', 'x', ctx);
      await assert.rejects(tokens.assign('HW-0001', 'bob', 'x', ctx), {
        code: 'token_unavailable',
        status: 409,
      });
      assert.deepEqual(await repository.listMethods('bob'), []);
    });
  });

  describe('through the facade (mfa.tokens)', () => {
    it('removing one token method frees only that token; a reassigned token never accepts codes its previous holder used', async () => {
      await mfa.tokens.importCsv(
        [
          `${HEADER},kind`,
          `HW-A,${SEED_1.toString('hex')},sha1,6,,hotp`,
          `HW-B,${hex20('HW-B')},sha1,6,,hotp`,
        ].join('\n'),
        ctx,
      );
      const a = await mfa.tokens.assign('HW-A', 'alice', '', ctx);
      await mfa.tokens.assign('HW-B', 'alice', '', ctx);
      assert.equal(await mfa.admin.getUserState('alice'), 'enforced', 'assignment counts as registration');
      assert.ok(events.some((e) => e.type === 'enrolled' && e.methodId === a.id));
      const start = await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: ctx.ip });
      assert.equal(start.status, 'mfa');
      if (start.status !== 'mfa') return;
      const used = hotpCode(SEED_1, { algorithm: 'sha1', digits: 6, counter: 0 });
      assert.equal((await mfa.verifyPending(start.pending.id, { code: used }, ctx)).ok, true);

      assert.equal(await mfa.methods.remove('alice', a.id, ctx), true);
      const inventory = await mfa.tokens.list();
      assert.equal(inventory.find((t) => t.serial === 'HW-A')?.assignedTo, null);
      assert.equal(
        inventory.find((t) => t.serial === 'HW-B')?.assignedTo,
        'alice',
        'the other token stays with alice',
      );

      await mfa.tokens.assign('HW-A', 'mallory', '', ctx);
      const m = await mfa.beginSignIn({ userId: 'mallory', amr: ['pwd'], ip: ctx.ip });
      if (m.status !== 'mfa') throw new Error('expected mfa');
      assert.equal(
        (await mfa.verifyPending(m.pending.id, { code: used }, ctx)).ok,
        false,
        'counter 0 was used by alice',
      );
      const next = hotpCode(SEED_1, { algorithm: 'sha1', digits: 6, counter: 1 });
      assert.equal((await mfa.verifyPending(m.pending.id, { code: next }, ctx)).ok, true);
    });
  });
});
