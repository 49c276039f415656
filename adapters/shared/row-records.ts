// The records the SQL adapters (sqlite, postgres) read back from their tables, written once: the
// columns each table holds (the same names in both schemas) and how a row of them becomes the
// port's record, over the adapter's row reader (adapters/<name>/rows.ts), which checks each
// column's type its database's way. Writing a record stays with each adapter's statements.
import type {
  AccessPassRecord,
  AppPasswordRecord,
  AuditEventRecord,
  MethodData,
  MethodRecord,
  OathTokenRecord,
  OtpKind,
  PolicyDocumentRecord,
  RememberedDeviceRecord,
} from '../../src/store/ports.ts';
import type { Row, RowReader } from './row-reader.ts';

/** The `devices` columns, in the order a device is written. */
export const DEVICE_COLUMNS =
  'id, user_id, secret_hash, user_agent, created_at, last_used_at, expires_at, revoked_at';
/** The `oath_tokens` columns, in the order a token is written. */
export const TOKEN_COLUMNS =
  'serial, kind, sealed_secret, algorithm, digits, period, assigned_to, imported_at';
/** The `access_passes` columns, in the order a pass is written. */
export const ACCESS_PASS_COLUMNS =
  'user_id, id, hash, created_at, starts_at, expires_at, one_time, used_at, created_by';
/** The `app_passwords` columns, in the order an app password is written. */
export const APP_PASSWORD_COLUMNS = 'id, user_id, name, hash, apps, created_at, expires_at, last_used_at';
/** The `methods` columns, in the order a method is written. */
export const METHOD_COLUMNS =
  'id, user_id, kind, label, data, counter_key, lookup_key, created_at, last_used_at';
/** The `audit_events` columns, in the order an event is written. */
export const AUDIT_COLUMNS = 'id, at, type, user_id, data';
/** The `policy_document` columns a document is read from. */
export const POLICY_DOCUMENT_COLUMNS = 'version, document, updated_at, updated_by';

/** The values the OTP columns of `oath_tokens` may hold. */
const OTP_KINDS: readonly OtpKind[] = ['totp', 'hotp'];
const OTP_ALGORITHMS: readonly OathTokenRecord['algorithm'][] = ['sha1', 'sha256', 'sha512'];
const OTP_DIGITS: readonly OathTokenRecord['digits'][] = [6, 8];

/** A row of each table, as its port's record. */
export interface RowRecords {
  device(row: Row): RememberedDeviceRecord;
  token(row: Row): OathTokenRecord;
  accessPass(row: Row): AccessPassRecord;
  appPassword(row: Row): AppPasswordRecord;
  method(row: Row): MethodRecord;
  audit(row: Row): AuditEventRecord;
  policyDocument(row: Row): PolicyDocumentRecord;
}

/** The row-to-record mappers over one database's row reader. */
export function rowRecords(read: RowReader): RowRecords {
  const { text, textOrNull, int, intOrNull } = read;
  return {
    device: (row) => ({
      id: text(row, 'id'),
      userId: text(row, 'user_id'),
      secretHash: text(row, 'secret_hash'),
      userAgent: text(row, 'user_agent'),
      createdAt: int(row, 'created_at'),
      lastUsedAt: int(row, 'last_used_at'),
      expiresAt: int(row, 'expires_at'),
      revokedAt: intOrNull(row, 'revoked_at'),
    }),
    token: (row) => ({
      serial: text(row, 'serial'),
      kind: read.oneOf(row, 'kind', OTP_KINDS),
      sealedSecret: text(row, 'sealed_secret'),
      algorithm: read.oneOf(row, 'algorithm', OTP_ALGORITHMS),
      digits: read.oneOf(row, 'digits', OTP_DIGITS),
      period: int(row, 'period'),
      assignedTo: textOrNull(row, 'assigned_to'),
      importedAt: int(row, 'imported_at'),
    }),
    accessPass: (row) => ({
      id: text(row, 'id'),
      userId: text(row, 'user_id'),
      hash: text(row, 'hash'),
      createdAt: int(row, 'created_at'),
      startsAt: int(row, 'starts_at'),
      expiresAt: int(row, 'expires_at'),
      oneTime: read.bool(row, 'one_time'),
      usedAt: intOrNull(row, 'used_at'),
      createdBy: textOrNull(row, 'created_by'),
    }),
    appPassword: (row) => ({
      id: text(row, 'id'),
      userId: text(row, 'user_id'),
      name: text(row, 'name'),
      hash: text(row, 'hash'),
      apps: read.textList(row, 'apps'),
      createdAt: int(row, 'created_at'),
      expiresAt: intOrNull(row, 'expires_at'),
      lastUsedAt: intOrNull(row, 'last_used_at'),
    }),
    method: (row) => ({
      id: text(row, 'id'),
      userId: text(row, 'user_id'),
      kind: text(row, 'kind'),
      label: text(row, 'label'),
      // The method validates its own fields; the store only promises a JSON object.
      data: read.jsonObject(row, 'data') as MethodData,
      counterKey: textOrNull(row, 'counter_key'),
      lookupKey: textOrNull(row, 'lookup_key'),
      createdAt: int(row, 'created_at'),
      lastUsedAt: intOrNull(row, 'last_used_at'),
    }),
    audit: (row) => ({
      id: text(row, 'id'),
      at: int(row, 'at'),
      type: text(row, 'type'),
      userId: textOrNull(row, 'user_id'),
      data: read.jsonObject(row, 'data'),
    }),
    policyDocument: (row) => ({
      version: int(row, 'version'),
      document: JSON.parse(text(row, 'document')),
      updatedAt: int(row, 'updated_at'),
      updatedBy: textOrNull(row, 'updated_by'),
    }),
  };
}
