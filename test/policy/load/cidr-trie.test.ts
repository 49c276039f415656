/** The CIDR trie behind named locations, checked against a linear scan. */

import assert from 'node:assert/strict';
import { CidrTrie } from '../../../src/policy/cidr-trie.ts';
import { compilePolicySet, naiveEvaluator, parsePolicyDocument } from '../../../src/policy/index.ts';
import { cidrContains, ipBytes, parseCidr } from '../../../src/policy/ip.ts';
import { policy } from './fixtures.ts';

describe('CIDR trie against a linear scan', () => {
  /** A small deterministic PRNG (mulberry32), so a failure reproduces. */
  function rng(seed: number) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const random = rng(20260329);
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const v4 = (b: Uint8Array) => [...b].join('.');
  const v6 = (b: Uint8Array) =>
    Array.from({ length: 8 }, (_, i) => (((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0)).toString(16)).join(
      ':',
    );

  /**
   * `count` random CIDRs with prefixes from `min` to the family's width; about a third are
   * drawn inside an earlier one (a longer prefix of its bits), so ranges nest and overlap.
   */
  function randomCidrs(count: number, width: 4 | 16, min: number, text: (b: Uint8Array) => string) {
    const out: { bytes: Uint8Array; prefix: number }[] = [];
    for (let k = 0; k < count; k++) {
      const parent = out.length > 0 && random() < 0.35 ? out[int(out.length)] : undefined;
      const prefix = parent
        ? parent.prefix + int(width * 8 - parent.prefix + 1)
        : min + int(width * 8 - min + 1);
      const b = bytes(width);
      if (parent)
        for (let bit = 0; bit < parent.prefix; bit++) {
          const mask = 0x80 >> (bit & 7);
          const i = bit >> 3;
          b[i] = ((b[i] ?? 0) & ~mask) | ((parent.bytes[i] ?? 0) & mask);
        }
      out.push({ bytes: b, prefix });
    }
    return out.map((c) => `${text(c.bytes)}/${c.prefix}`);
  }
  const v4Cidrs = randomCidrs(10_000, 4, 16, v4);
  const v6Cidrs = randomCidrs(1_000, 16, 16, v6);
  const parsed = [...v4Cidrs, ...v6Cidrs].map((c) => ({ text: c, cidr: parseCidr(c) }));

  /** Half the addresses inside a random CIDR (host bits random), half anywhere; some IPv4-mapped. */
  const addresses = Array.from({ length: 2_000 }, (_, k) => {
    const { cidr } = parsed[int(parsed.length)] as (typeof parsed)[number];
    const out = k % 2 === 0 ? Uint8Array.from(cidr.bytes) : bytes(cidr.bytes.length);
    const noise = bytes(out.length);
    for (let bit = k % 2 === 0 ? cidr.prefix : out.length * 8; bit < out.length * 8; bit++) {
      const mask = 0x80 >> (bit & 7);
      const i = bit >> 3;
      out[i] = ((out[i] ?? 0) & ~mask) | ((noise[i] ?? 0) & mask);
    }
    if (out.length === 16) return v6(out);
    return k % 10 === 0 ? `::ffff:${v4(out)}` : v4(out);
  });

  it('CidrTrie.lookup finds exactly the locations a linear cidrContains scan finds', () => {
    // 10 locations, each CIDR in one of them at random
    const owner = parsed.map(() => int(10));
    const trie = new CidrTrie();
    parsed.forEach((p, i) => {
      trie.insert(p.cidr, owner[i] ?? 0);
    });
    let hits = 0;
    let several = 0;
    for (const address of addresses) {
      const ip = ipBytes(address);
      assert.ok(ip, address);
      const linear = new Set<number>();
      parsed.forEach((p, i) => {
        if (cidrContains(p.cidr, ip)) linear.add(owner[i] ?? 0);
      });
      const found = trie.lookup(ip);
      assert.equal(new Set(found).size, found.length, 'each location once');
      assert.deepEqual(new Set(found), linear, address);
      if (linear.size > 0) hits++;
      if (linear.size > 1) several++;
    }
    assert.ok(hits >= 900, `half the addresses were drawn inside a CIDR (${hits} hits)`);
    assert.ok(several >= 200, `nested ranges put many addresses in several locations (${several})`);
  });

  it('a location of 11,000 CIDRs matches in the compiled policy set exactly when a linear scan says so', () => {
    const doc = parsePolicyDocument({
      namedLocations: [{ id: 'many', name: 'Many', cidrs: [...v4Cidrs, ...v6Cidrs] }],
      policies: [policy({ grant: { block: true }, conditions: { locations: { include: ['many'] } } })],
    });
    const set = compilePolicySet(doc);
    const naive = naiveEvaluator(doc);
    let blocked = 0;
    for (const ip of addresses) {
      const bytesOfIp = ipBytes(ip);
      const inside = bytesOfIp !== null && parsed.some((p) => cidrContains(p.cidr, bytesOfIp));
      const ctx = { userId: 'alice', app: 'portal', ip, time: 0 };
      assert.equal(set.evaluate(ctx).action, inside ? 'block' : 'allow', ip);
      assert.equal(naive(ctx).action, inside ? 'block' : 'allow', ip);
      if (inside) blocked++;
    }
    assert.ok(blocked >= 900);
  });

  it('cidrContains: edges of a range, prefix 0, and families never mix', () => {
    const net = parseCidr('192.0.2.0/24');
    assert.ok(cidrContains(net, ipBytes('192.0.2.0') as Uint8Array));
    assert.ok(cidrContains(net, ipBytes('192.0.2.255') as Uint8Array));
    assert.ok(!cidrContains(net, ipBytes('192.0.3.0') as Uint8Array));
    assert.ok(!cidrContains(net, ipBytes('192.0.1.255') as Uint8Array));
    assert.ok(cidrContains(parseCidr('0.0.0.0/0'), ipBytes('255.255.255.255') as Uint8Array));
    assert.ok(!cidrContains(parseCidr('::/0'), ipBytes('10.0.0.1') as Uint8Array));
    assert.ok(!cidrContains(parseCidr('0.0.0.0/0'), ipBytes('2001:db8::1') as Uint8Array));
    // an IPv4-mapped CIDR covers the IPv4 addresses it maps
    assert.ok(cidrContains(parseCidr('::ffff:10.0.0.0/104'), ipBytes('10.200.0.1') as Uint8Array));
    const odd = parseCidr('10.1.2.3/13'); // host bits set: only the prefix counts
    assert.ok(cidrContains(odd, ipBytes('10.0.0.1') as Uint8Array));
    assert.ok(!cidrContains(odd, ipBytes('10.8.0.1') as Uint8Array));
  });
});
