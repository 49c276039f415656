// An IPv6 peer at an IPv4-compatible address (`::cb00:7105`, which Node prints as
// `::203.0.113.5`) is an IPv6 client, not the IPv4 address 203.0.113.5: ipaddr.js reads that text
// as IPv4-mapped (`::ffff:203.0.113.5`), which let such a peer skip MFA inside an IPv4 trusted
// network or named location. The IPv4-mapped form (what a dual-stack socket reports for an IPv4
// client) still counts as IPv4, in addresses and in configured ranges alike.
import assert from 'node:assert/strict';
import net from 'node:net';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { ConfigError, createMfa, type Mfa, type MfaOptions } from '../../src/index.ts';
import { ipBytes, parseCidr } from '../../src/policy/ip.ts';
import { createClientIpResolver } from '../../src/trust/client-ip.ts';
import { compileTrustedNetworks } from '../../src/trust/trusted-networks.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { testClock } from '../helpers/test-clock.ts';

const COMPATIBLE = '::203.0.113.5';
const MAPPED = '::ffff:203.0.113.5';

async function aliceWithApp(options: Partial<MfaOptions>): Promise<Mfa> {
  const clock = testClock();
  const mfa = createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'T',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
    audit: () => {},
    ...options,
  });
  await enrolThroughEngine(mfa, clock, 'alice');
  return mfa;
}

describe('an IPv4-compatible IPv6 address is IPv6', () => {
  it('Node prints such a peer in the dotted form this is about', () => {
    assert.equal(new net.SocketAddress({ address: '::cb00:7105', family: 'ipv6' }).address, COMPATIBLE);
  });

  it('attack: from ::203.0.113.5 a trusted network 203.0.113.0/24 does not lift MFA; from the mapped form it does', async () => {
    const mfa = await aliceWithApp({ trustedNetworks: ['203.0.113.0/24'] });
    assert.equal(mfa.trustedNetwork(COMPATIBLE), null);
    assert.equal((await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: COMPATIBLE })).status, 'mfa');
    assert.equal(mfa.trustedNetwork(MAPPED), '203.0.113.0/24');
    assert.equal((await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: MAPPED })).status, 'complete');
  });

  it('attack: from ::203.0.113.5 a trusted named location 203.0.113.0/24 does not exempt the sign-in', async () => {
    const mfa = await aliceWithApp({
      defaultUserState: 'disabled',
      policies: {
        namedLocations: [{ id: 'office', name: 'Office', trusted: true, cidrs: ['203.0.113.0/24'] }],
        policies: [
          {
            id: 'outside',
            name: 'MFA outside the office',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
            conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
            grant: { controls: ['mfa'] },
          },
        ],
      },
    });
    assert.equal((await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: COMPATIBLE })).status, 'mfa');
    assert.equal((await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: MAPPED })).status, 'complete');
  });

  it('addresses and ranges as bytes: the compatible form is 16 bytes, the mapped form 4', () => {
    assert.deepEqual([...(ipBytes(COMPATIBLE) ?? [])], [...Array(12).fill(0), 203, 0, 113, 5]);
    assert.deepEqual([...(ipBytes('0:0:0:0:0:0:203.0.113.5') ?? [])], [...Array(12).fill(0), 203, 0, 113, 5]);
    assert.deepEqual([...(ipBytes(MAPPED) ?? [])], [203, 0, 113, 5]);
    assert.deepEqual(parseCidr('::203.0.113.0/120').prefix, 120);
    assert.deepEqual(parseCidr('::ffff:203.0.113.0/120'), {
      bytes: Uint8Array.from([203, 0, 113, 0]),
      prefix: 24,
    });
  });

  it('a trusted network written IPv4-mapped matches the IPv4 clients it names', () => {
    const networks = compileTrustedNetworks(['::ffff:198.51.100.0/120']);
    assert.equal(networks.match('198.51.100.7'), '::ffff:198.51.100.0/120');
    assert.equal(networks.match('::ffff:198.51.100.7'), '::ffff:198.51.100.0/120');
    assert.equal(networks.match('198.51.101.7'), null);
  });

  it('a trusted proxy range of /0 (every sender) is refused at start, naming the entry', () => {
    for (const entry of ['0.0.0.0/0', '::/0'])
      assert.throws(
        () => createClientIpResolver(['loopback', entry]),
        (error: unknown) =>
          error instanceof ConfigError && error.message.includes(`trustedProxies.1: "${entry}" would trust`),
      );
  });
});
