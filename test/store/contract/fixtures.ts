// Records the store contract writes and reads back: realistic values (non-ASCII labels, sealed
// secrets in their stored shape, nulls where a field may be null), one builder per record type,
// each taking overrides.
import type {
  AccessPassRecord,
  AppPasswordRecord,
  AuditEventRecord,
  MethodRecord,
  OathTokenRecord,
  RememberedDeviceRecord,
} from '../../../src/store/ports.ts';
import { CONTRACT_EPOCH } from './harness.ts';

/** A method record; `data` is the method's own JSON (an authenticator app's, unless overridden). */
export function methodFixture(overrides: Partial<MethodRecord> = {}): MethodRecord {
  const id = overrides.id ?? 'm-1';
  return {
    id,
    userId: 'u-1',
    kind: 'totp',
    label: 'Téléphone 📱',
    data: {
      sealedSecret: 'k1.iv.ciphertext.tag',
      algorithm: 'sha1',
      digits: 6,
      period: 30,
      tokenSerial: null,
      nested: { list: [1, 'two', null, true], empty: {} },
    },
    counterKey: `totp:${id}`,
    lookupKey: null,
    createdAt: CONTRACT_EPOCH,
    lastUsedAt: null,
    ...overrides,
  };
}

export function deviceFixture(overrides: Partial<RememberedDeviceRecord> = {}): RememberedDeviceRecord {
  return {
    id: 'd-1',
    userId: 'u-1',
    secretHash: 'k1:c2VjcmV0LWhhc2g',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    createdAt: CONTRACT_EPOCH,
    lastUsedAt: CONTRACT_EPOCH,
    expiresAt: CONTRACT_EPOCH + 30 * 86_400_000,
    revokedAt: null,
    ...overrides,
  };
}

export function tokenFixture(overrides: Partial<OathTokenRecord> = {}): OathTokenRecord {
  return {
    serial: 'TK-0001',
    kind: 'hotp',
    sealedSecret: 'k1.iv.token-ciphertext.tag',
    algorithm: 'sha1',
    digits: 6,
    period: 0,
    assignedTo: null,
    importedAt: CONTRACT_EPOCH,
    ...overrides,
  };
}

export function auditFixture(overrides: Partial<AuditEventRecord> = {}): AuditEventRecord {
  return {
    id: 'a-1',
    at: CONTRACT_EPOCH,
    type: 'mfa.verify.success',
    userId: 'u-1',
    data: {},
    ...overrides,
  };
}

export function accessPassFixture(overrides: Partial<AccessPassRecord> = {}): AccessPassRecord {
  return {
    id: 'p-1',
    userId: 'u-1',
    hash: 'k1:cGFzcy1oYXNo',
    createdAt: CONTRACT_EPOCH,
    startsAt: CONTRACT_EPOCH + 60_000,
    expiresAt: CONTRACT_EPOCH + 3_660_000,
    oneTime: true,
    usedAt: null,
    createdBy: 'admin@example.com',
    ...overrides,
  };
}

export function appPasswordFixture(overrides: Partial<AppPasswordRecord> = {}): AppPasswordRecord {
  return {
    id: 'ap-1',
    userId: 'u-1',
    name: 'Courrier sur le téléphone 📱',
    hash: 'k1:YXBwLXBhc3N3b3JkLWhhc2g',
    apps: ['mail'],
    createdAt: CONTRACT_EPOCH,
    expiresAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}
