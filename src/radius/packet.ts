// RADIUS packets (RFC 2865) as the server reads and writes them: node-radius (the `radius`
// package) decodes the attributes the server reads with its dictionaries, undoes the PAP
// obfuscation of User-Password, and encodes replies; around it, what that library leaves loose
// is checked here on the raw bytes — the framing (length field, attribute lengths), and the
// Message-Authenticator (RFC 3579 §3.2, HMAC-MD5 under the shared secret) compared in constant
// time (the library compares the two digests as UTF-8 strings, which is lossy). Replies carry a Message-Authenticator as their
// FIRST attribute (the BlastRADIUS mitigation, CVE-2024-3596: a forged prefix cannot precede
// it), and echo the request's Proxy-State attributes (RFC 2865 §5.33). The library's loose
// `any` types stop in this file: the rest of src/radius sees `AccessRequest` and `Reply`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import radius from 'radius';

const HEADER = 20;
/** RFC 2865 §3: a packet is at most 4096 octets. */
export const MAX_PACKET = 4096;
const ACCESS_REQUEST = 1;
const MESSAGE_AUTHENTICATOR = 80;
const PROXY_STATE = 33;
const STATE = 24;
// User-Name, User-Password, Calling-Station-Id: what the library decodes for us.
const READ = [1, 2, 31];
const AUTH_START = 4;

/** An Access-Request whose framing, secret and Message-Authenticator were checked. */
export interface AccessRequest {
  identifier: number;
  /** The Request Authenticator: with the identifier, what a retransmission repeats. */
  authenticator: Buffer;
  userName: string | null;
  /** The PAP password (or the answer to a challenge), de-obfuscated; null when absent. */
  password: string | null;
  state: Buffer | null;
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

/** The identifier and authenticator of a well-framed Access-Request (the retransmission key), or null. */
export function requestKey(packet: Buffer): string | null {
  if (packet.length < HEADER || packet.readUInt8(0) !== ACCESS_REQUEST) return null;
  return `${packet.readUInt8(1)}:${packet.subarray(AUTH_START, HEADER).toString('hex')}`;
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

const text = (value: unknown): string | null =>
  typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : null;

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
  // Only the attributes read here go to the library's decoder: a vendor's attributes laid out
  // its own way (which the decoder would throw on) cannot make a NAS's requests unreadable.
  const read = attributes.filter((a) => READ.includes(a.type));
  const header = Buffer.from(packet.subarray(0, HEADER));
  const minimal = Buffer.concat([
    header,
    ...read.map((a) => packet.subarray(a.at, a.at + 2 + a.value.length)),
  ]);
  minimal.writeUInt16BE(minimal.length, 2);
  let decoded: { identifier: number; attributes: Record<string, unknown> };
  try {
    decoded = radius.decode({ packet: minimal, secret });
  } catch {
    return { ok: false, reason: 'undecodable attributes' };
  }
  const one = (name: string): unknown => {
    const value = decoded.attributes[name];
    return Array.isArray(value) ? undefined : value;
  };
  // Two User-Names or two passwords are an attacker's ambiguity: none is read.
  const state = attributes.filter((a) => a.type === STATE);
  return {
    ok: true,
    request: {
      identifier: decoded.identifier,
      authenticator: Buffer.from(packet.subarray(AUTH_START, HEADER)),
      userName: text(one('User-Name')),
      password: text(one('User-Password')),
      state: state.length === 1 && state[0] ? Buffer.from(state[0].value) : null,
      callingStationId: text(one('Calling-Station-Id')),
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
