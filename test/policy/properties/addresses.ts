/** Property-test generators: the id pools documents draw from, and random CIDRs and IP addresses. */

import fc from 'fast-check';
import { BUILT_IN_STRENGTHS, type PolicyDocument } from '../../../src/policy/index.ts';
import { parseCidr } from '../../../src/policy/ip.ts';

// ---------------------------------------------------------------- pools

export const USERS = ['u1', 'u2', 'u3', 'u4'];
export const GROUPS = ['g1', 'g2', 'g3'];
export const ROLES = ['r1', 'r2'];
export const APPS = ['a1', 'a2', 'a3'];
export const CONTEXTS = ['c1', 'c2'];
export const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
/** Location references: `Lk` resolves to the k-th named location (modulo how many there are). */
export const LOCATION_REFS = ['any', 'trusted', 'L0', 'L1', 'L2'];
/** Strength references: `Sk` resolves to the k-th custom strength, or `mfa` when there is none. */
export const STRENGTH_REFS = [...BUILT_IN_STRENGTHS.map((s) => s.id), 'S0', 'S1'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

// ---------------------------------------------------------------- CIDRs and addresses

export const v4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
export const v6Words = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
export const v4Text = (b: Uint8Array) => [...b].join('.');
export const v6Text = (w: readonly number[]) => w.map((x) => x.toString(16)).join(':');

export const cidrArb: fc.Arbitrary<string> = fc.oneof(
  // from a small space, so locations often overlap or nest
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 7, max: 24 }))
      .map(([b, c, p]) => `10.${b}.${c}.0/${p}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 32, max: 64 }))
      .map(([x, p]) => `2001:db8:${x}::/${p}`),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(v4Bytes, fc.integer({ min: 0, max: 32 })).map(([b, p]) => `${v4Text(b)}/${p}`),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(v6Words, fc.integer({ min: 0, max: 128 })).map(([w, p]) => `${v6Text(w)}/${p}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(v4Bytes, fc.integer({ min: 96, max: 128 }))
      .map(([b, p]) => `::ffff:${v4Text(b)}/${p}`),
  },
  { weight: 1, arbitrary: v4Bytes.map(v4Text) },
  { weight: 1, arbitrary: v6Words.map(v6Text) },
);

export type IpSpec =
  | { kind: 'inside'; pick: number; noise: Uint8Array; mapped: boolean }
  | { kind: 'v4'; bytes: Uint8Array }
  | { kind: 'v6'; words: number[] }
  | { kind: 'mapped'; bytes: Uint8Array }
  | { kind: 'invalid'; text: string };

export const ipSpecArb: fc.Arbitrary<IpSpec> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('inside' as const),
      pick: fc.nat(),
      noise: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      mapped: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('v4' as const), bytes: v4Bytes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('v6' as const), words: v6Words }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mapped' as const), bytes: v4Bytes }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('invalid' as const),
      text: fc.oneof(
        fc.constantFrom(
          '',
          'not-an-ip',
          '1.2.3',
          '1.2.3.4.5',
          '256.1.1.1',
          '01.2.3.4',
          '::g',
          '10.0.0.1/8',
          ' 10.0.0.1',
        ),
        fc.string({ maxLength: 20 }),
      ),
    }),
  },
);

/** An address: for `inside`, one that lies in a CIDR of the document, host bits from the noise. */
export function resolveIp(spec: IpSpec, doc: PolicyDocument): string {
  switch (spec.kind) {
    case 'v4':
      return v4Text(spec.bytes);
    case 'v6':
      return v6Text(spec.words);
    case 'mapped':
      return `::ffff:${v4Text(spec.bytes)}`;
    case 'invalid':
      return spec.text;
    case 'inside': {
      const all = doc.namedLocations.flatMap((l) => l.cidrs);
      const noise = spec.noise;
      if (all.length === 0) return v4Text(noise.subarray(0, 4));
      const { bytes, prefix } = parseCidr(all[spec.pick % all.length] as string);
      const out = Uint8Array.from(bytes);
      for (let bit = prefix; bit < out.length * 8; bit++) {
        const mask = 0x80 >> (bit & 7);
        const i = bit >> 3;
        out[i] = ((out[i] ?? 0) & ~mask) | ((noise[i] ?? 0) & mask);
      }
      if (out.length === 4) return spec.mapped ? `::ffff:${v4Text(out)}` : v4Text(out);
      const words = Array.from({ length: 8 }, (_, i) => ((out[2 * i] ?? 0) << 8) | (out[2 * i + 1] ?? 0));
      return v6Text(words);
    }
  }
}
