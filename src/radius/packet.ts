// RADIUS packets (RFC 2865) as the server reads and writes them. Requests are read here, on the
// raw bytes: the framing (length field, attribute lengths), the Message-Authenticator (RFC 3579
// §3.2, HMAC-MD5 under the shared secret) compared in constant time, the three attributes the
// server uses (User-Name, Calling-Station-Id as UTF-8 text; User-Password de-obfuscated as
// RFC 2865 §5.2 says: 16 to 128 octets in blocks of 16, only trailing NUL padding stripped —
// node-radius's decoder drops a NUL's block tail and keeps the next blocks, so `pw\0x…y` would
// read as `pwy`), each at most once (two are an attacker's ambiguity: neither is read), and
// State (two of them: `ambiguousState`). Replies are encoded by node-radius (the `radius`
// package) and then signed here: a Message-Authenticator as their FIRST attribute (the
// BlastRADIUS mitigation, CVE-2024-3596: a forged prefix cannot precede it), the request's
// Proxy-State attributes echoed (RFC 2865 §5.33). The rest of src/radius sees `AccessRequest`
// and `Reply`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import radius from 'radius';

const HEADER = 20;
/** RFC 2865 §3: a packet is at most 4096 octets. */
export const MAX_PACKET = 4096;
const ACCESS_REQUEST = 1;
const MESSAGE_AUTHENTICATOR = 80;
const PROXY_STATE = 33;
const STATE = 24;
const USER_NAME = 1;
const USER_PASSWORD = 2;
const CALLING_STATION_ID = 31;
const AUTH_START = 4;

/** An Access-Request whose framing, secret and Message-Authenticator were checked. */
export interface AccessRequest {
  identifier: number;
  /** The Request Authenticator: the reply's authenticator is computed over it. */
  authenticator: Buffer;
  userName: string | null;
  /** The PAP password (or the answer to a challenge), de-obfuscated; null when absent. */
  password: string | null;
  state: Buffer | null;
  /** More than one State attribute: answered with a Reject, never read as a first sign-in. */
  ambiguousState: boolean;
  callingStationId: string | null;
  hasMessageAuthenticator: boolean;
  /** The Proxy-State attributes, echoed in the reply. */
  proxyStates: Buffer[];
}

export type ReplyCode = 'Access-Accept' | 'Access-Reject' | 'Access-Challenge';

export interface Reply {
  code: ReplyCode;
  replyMessage?: string;
  state?: Buffer;
}

export type ReadResult =
  | { ok: true; request: AccessRequest }
  /** Why it is discarded (for the server's log; nothing of the packet's secrets). */
  | { ok: false; reason: string };

/** The raw attributes (type, value) when the packet is well framed, else null. */
function attributesOf(packet: Buffer): { type: number; value: Buffer; at: number }[] | null {
  if (packet.length < HEADER || packet.length > MAX_PACKET) return null;
  const length = packet.readUInt16BE(2);
  // Octets past the length field are padding (RFC 2865 §3); fewer octets than it says: discard.
  if (length < HEADER || length > packet.length) return null;
  const attributes: { type: number; value: Buffer; at: number }[] = [];
  let at = HEADER;
  while (at < length) {
    if (at + 2 > length) return null;
    const size = packet.readUInt8(at + 1);
    if (size < 2 || at + size > length) return null;
    attributes.push({ type: packet.readUInt8(at), value: packet.subarray(at + 2, at + size), at });
    at += size;
  }
  return attributes;
}

/** Whether the request's Message-Authenticator is the HMAC-MD5 of the packet (with it zeroed) under `secret`. */
function messageAuthenticatorValid(packet: Buffer, at: number, value: Buffer, secret: string): boolean {
  if (value.length !== 16) return false;
  const length = packet.readUInt16BE(2);
  const copy = Buffer.from(packet.subarray(0, length));
  copy.fill(0, at + 2, at + 18);
  const expected = createHmac('md5', secret).update(copy).digest();
  return timingSafeEqual(expected, value);
}

/**
 * The PAP password (RFC 2865 §5.2): 16–128 octets in 16-octet blocks, each XORed with
 * MD5(secret + the previous cipher block, the Request Authenticator first); trailing NULs are
 * padding. Null for a field of another length or with a NUL inside the password.
 */
function decodePap(value: Buffer, secret: string, authenticator: Buffer): string | null {
  if (value.length < 16 || value.length > 128 || value.length % 16 !== 0) return null;
  const plain = Buffer.alloc(value.length);
  let previous = authenticator;
  for (let at = 0; at < value.length; at += 16) {
    const pad = createHash('md5').update(secret).update(previous).digest();
    const block = value.subarray(at, at + 16);
    for (let i = 0; i < 16; i++) plain[at + i] = (block[i] ?? 0) ^ (pad[i] ?? 0);
    previous = block;
  }
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  const password = plain.subarray(0, end);
  return password.includes(0) ? null : password.toString('utf8');
}

/** Reads an Access-Request with the client's shared secret. */
export function readAccessRequest(packet: Buffer, secret: string): ReadResult {
  const attributes = attributesOf(packet);
  if (!attributes) return { ok: false, reason: 'malformed' };
  if (packet.readUInt8(0) !== ACCESS_REQUEST) return { ok: false, reason: 'not an Access-Request' };
  const authenticators = attributes.filter((a) => a.type === MESSAGE_AUTHENTICATOR);
  if (authenticators.length > 1) return { ok: false, reason: 'more than one Message-Authenticator' };
  const [ma] = authenticators;
  if (ma && !messageAuthenticatorValid(packet, ma.at, ma.value, secret))
    return { ok: false, reason: 'Message-Authenticator mismatch (wrong shared secret?)' };
  const authenticator = Buffer.from(packet.subarray(AUTH_START, HEADER));
  /** The one attribute of `type`, or null when absent or repeated. */
  const one = (type: number): Buffer | null => {
    const found = attributes.filter((a) => a.type === type);
    return found.length === 1 && found[0] ? found[0].value : null;
  };
  const userName = one(USER_NAME);
  const password = one(USER_PASSWORD);
  const callingStationId = one(CALLING_STATION_ID);
  const states = attributes.filter((a) => a.type === STATE);
  return {
    ok: true,
    request: {
      identifier: packet.readUInt8(1),
      authenticator,
      userName: userName ? userName.toString('utf8') : null,
      password: password ? decodePap(password, secret, authenticator) : null,
      state: states.length === 1 && states[0] ? Buffer.from(states[0].value) : null,
      ambiguousState: states.length > 1,
      callingStationId: callingStationId ? callingStationId.toString('utf8') : null,
      hasMessageAuthenticator: ma !== undefined,
      proxyStates: attributes.filter((a) => a.type === PROXY_STATE).map((a) => Buffer.from(a.value)),
    },
  };
}

/** RFC 2865 §5.18: a Reply-Message longer than an attribute holds is split over several. */
function replyMessages(message: string): Buffer[] {
  const bytes = Buffer.from(message, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 253) parts.push(bytes.subarray(i, i + 253));
  return parts;
}

/**
 * The reply to `request`, signed with `secret`: Message-Authenticator first, then Reply-Message,
 * State and the echoed Proxy-States; the Response Authenticator over all of it (RFC 2865 §3).
 */
export function encodeReply(request: AccessRequest, reply: Reply, secret: string): Buffer {
  const attributes: [string | number, Buffer | string][] = [
    ['Message-Authenticator', Buffer.alloc(16)],
    ...replyMessages(reply.replyMessage ?? '').map((part): [string, Buffer] => ['Reply-Message', part]),
    ...(reply.state ? [['State', reply.state] as [string, Buffer]] : []),
    ...request.proxyStates.map((value): [number, Buffer] => [PROXY_STATE, value]),
  ];
  // The library writes the Response Authenticator over the zeroed Message-Authenticator; both
  // are computed again below in RFC 3579's order: the HMAC with the Request Authenticator in
  // place, then the MD5 over the packet with the HMAC in it.
  const packet = radius.encode({
    code: reply.code,
    identifier: request.identifier,
    secret,
    attributes,
    add_message_authenticator: false,
  });
  request.authenticator.copy(packet, AUTH_START);
  createHmac('md5', secret)
    .update(packet)
    .digest()
    .copy(packet, HEADER + 2);
  createHash('md5').update(packet).update(secret).digest().copy(packet, AUTH_START);
  return packet;
}
