import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { ipBytes } from '../../src/policy/ip.ts';

/**
 * The address parser behind named locations has a fast path of its own; it must read every
 * address exactly as ipaddr.js does (IPv4-mapped IPv6 as the IPv4 address; but IPv4-compatible
 * `::a.b.c.d` as IPv6, which ipaddr.js gets wrong), and refuse what
 * is not an address, or a location condition would match the wrong network.
 */
function reference(text: string): number[] | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text).toByteArray();
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return null;
  const v6 = ipaddr.IPv6.parse(text);
  const bytes = v6.toByteArray();
  // ipaddr.js reads a dotted tail after `::` with no ffff group (IPv4-compatible, `::a.b.c.d`)
  // as IPv4-mapped; it is not: the bytes before the IPv4 part are zero.
  if (v6.isIPv4MappedAddress() && /\./.test(text) && !/ffff:[\d.]+$/i.test(text)) {
    bytes[10] = 0;
    bytes[11] = 0;
    return bytes;
  }
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toByteArray() : bytes;
}
const ours = (text: string) => {
  const b = ipBytes(text);
  return b === null ? null : [...b];
};

describe('client address parsing for named locations', () => {
  it('agrees with ipaddr.js on hand-picked forms', () => {
    for (const text of [
      '203.0.113.9',
      '0.0.0.0',
      '255.255.255.255',
      '2001:db8::1',
      '::',
      '::1',
      '2001:DB8:0:0:0:0:0:1',
      '::ffff:10.1.2.3',
      '::ffff:0a01:0203',
      '::10.1.2.3',
      '0:0:0:0:0:0:10.1.2.3',
      'fe80::1%eth0',
      '1:2:3:4:5:6:7:8',
      '1::2::3',
      ':::',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      '010.0.0.1',
      '10.1',
      '256.1.1.1',
      '',
      'x',
      ' 10.0.0.1',
    ]) {
      const expected = reference(text);
      const got = ours(text);
      if (expected === null) assert.equal(got, null, text);
      else assert.deepEqual(got, expected, text);
    }
  });

  it('agrees with ipaddr.js on random IPv6 text (compressed, uppercase, mapped)', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        fc.nat(8),
        (parts, upper, zeroRun) => {
          const p = [...parts];
          for (let i = 0; i < Math.min(zeroRun, 8); i++) p[i] = 0;
          let text = new ipaddr.IPv6(p).toString();
          if (upper) text = text.toUpperCase();
          assert.deepEqual(ours(text), reference(text), text);
          const full = p.map((x) => x.toString(16)).join(':');
          assert.deepEqual(ours(full), reference(full), full);
        },
      ),
      { numRuns: 500 },
    );
  });
});
