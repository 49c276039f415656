// Resident memory of a sample federation server process holding 10,000 sign-in sessions and
// 100,000 remembered devices (target ≤ 200 MB), on SQLite and on PostgreSQL. Method: this
// process writes the records through the stores (10,000 oidc-provider `Session` entries in the
// OpenID provider's store, 100,000 remembered devices of 10,000 users in the repository); then
// a server process of its own (bench/federation-process.ts, createFederationServer over those
// stores) starts, reads every session through the provider (`Session.find`) and checks, for every
// device, a session it admitted (`mfa.isCurrent`, which fills the engine's bounded caches), and
// reports its RSS after a full GC — at start and after reading everything. The server process
// runs compiled, with the V8 flag `npm start` gives the sample (bench/compiled.ts). Printed,
// with the time the writes took. PostgreSQL is skipped without DATABASE_URL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecrets } from '../sample-idp/federation/secrets.ts';
import {
  type BenchStoreSpec,
  describeSpec,
  dropBenchStores,
  openBenchStores,
  runName,
} from './bench-stores.ts';
import { benchFederationConfig, benchUsers } from './code-flow.ts';
import { SERVER_V8_FLAGS } from './compiled.ts';
import { inParallel, serverSetting } from './measure.ts';
import { startServerProcess } from './server-process.ts';

const SESSIONS = 10_000;
const DEVICES = 100_000;
const USERS = 10_000;
const TARGET_MB = 200;
const DAY_MS = 86_400_000;
const MB = 1024 * 1024;

export async function runServerMemoryBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mfakit-bench-memory-'));
  const specs: BenchStoreSpec[] = [{ kind: 'sqlite', path: join(dir, 'bench.sqlite') }];
  const url = serverSetting('DATABASE_URL', 'federation server memory on PostgreSQL');
  if (url) specs.push({ kind: 'postgres', url, schema: runName() });
  try {
    for (const spec of specs) {
      try {
        await measure(spec);
      } finally {
        await dropBenchStores(spec);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes the sessions and devices through the stores; returns the seconds it took. */
async function populate(spec: BenchStoreSpec): Promise<number> {
  const stores = await openBenchStores(spec, { invalidation: false });
  const began = Date.now();
  try {
    const oidc = stores.oidc;
    if (!oidc) throw new Error('bench: these stores have no OpenID provider store');
    const now = Date.now();
    const width = spec.kind === 'sqlite' ? 1 : 32;
    await inParallel(SESSIONS, width, async (i) => {
      const nowSeconds = Math.floor(now / 1000);
      const payload = {
        jti: `sess-${i}`,
        kind: 'Session',
        uid: `uid-${i}-${'u'.repeat(24)}`,
        accountId: `user${i % USERS}`,
        loginTs: nowSeconds,
        amr: ['pwd', 'otp'],
        acr: 'urn:mfakit:acr:mfa',
        iat: nowSeconds,
        exp: nowSeconds + 14 * 86_400,
        authorizations: {
          bench: { sid: `sid-${i}-${'s'.repeat(24)}`, grantId: `grant-${i}`, persistsLogout: true },
        },
      };
      await oidc.upsert('Session', payload.jti, payload, now + 14 * DAY_MS);
    });
    await inParallel(DEVICES, width, (i) =>
      stores.repository.insertDevice({
        id: `dev-${i}`,
        userId: `user${i % USERS}`,
        secretHash: `fed1:${Buffer.alloc(32, i % 251).toString('base64url')}`,
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
        createdAt: now,
        lastUsedAt: now,
        expiresAt: now + 60 * DAY_MS,
        revokedAt: null,
      }),
    );
  } finally {
    await stores.close();
  }
  return (Date.now() - began) / 1000;
}

async function measure(spec: BenchStoreSpec) {
  const label = describeSpec(spec);
  const wrote = await populate(spec);
  const server = await startServerProcess({
    config: benchFederationConfig(
      'http://127.0.0.1:3999',
      join(tmpdir(), 'mfakit-bench-unused.sqlite'),
      await benchUsers(0),
    ),
    stores: spec,
    secrets: generateSecrets(),
  });
  try {
    const atStart = await server.usage();
    const touched = await server.touch({ sessions: SESSIONS, devices: DEVICES, users: USERS });
    if (touched.sessions !== SESSIONS || touched.devices !== DEVICES)
      throw new Error(
        `bench: the server found ${touched.sessions} sessions and ${touched.devices} live devices`,
      );
    const after = await server.usage();
    const rssMb = after.rss / MB;
    console.log(
      `federation server process holding ${SESSIONS.toLocaleString('en')} sessions and ` +
        `${DEVICES.toLocaleString('en')} remembered devices (${label}): RSS ${rssMb.toFixed(0)} MB after reading ` +
        `every one (${(atStart.rss / MB).toFixed(0)} MB at start; JavaScript heap ${(after.heapUsed / MB).toFixed(0)} MB ` +
        `used of ${(after.heapTotal / MB).toFixed(0)} MB held) ` +
        `(target ≤ ${TARGET_MB} MB) ${rssMb <= TARGET_MB ? 'OK' : 'ABOVE TARGET'}`,
    );
    console.log(
      `  (the server ran compiled JavaScript with ${SERVER_V8_FLAGS.join(' ')}; ` +
        `the records were written through the stores in ${wrote.toFixed(1)} s)`,
    );
  } finally {
    await server.stop();
  }
}
