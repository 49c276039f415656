// Hand-made RADIUS Access-Requests for attacks radclient will not send: any attributes, a PAP
// password with any bytes (a NUL inside), sent from a chosen loopback source address (127.0.0.x:
// another configured client), with a Message-Authenticator under the given secret; and the
// reply's code, State and Reply-Message read back.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

export const ACCESS_ACCEPT = 2;
export const ACCESS_REJECT = 3;
export const ACCESS_CHALLENGE = 11;

/** RFC 2865 §5.2: the password padded with NULs to 16-octet blocks, each XORed with MD5(secret + previous). */
function pap(password: Buffer, secret: string, authenticator: Buffer): Buffer {
  const length = Math.max(16, Math.ceil(password.length / 16) * 16);
  const plain = Buffer.alloc(length);
  password.copy(plain);
  const out = Buffer.alloc(length);
  let previous = authenticator;
  for (let at = 0; at < length; at += 16) {
    const pad = createHash('md5').update(secret).update(previous).digest();
    for (let i = 0; i < 16; i++) out[at + i] = (plain[at + i] ?? 0) ^ (pad[i] ?? 0);
    previous = out.subarray(at, at + 16);
  }
  return out;
}

/** An Access-Request with `attributes` ([type, value]), the PAP `password` if given, and a Message-Authenticator. */
export function accessRequest(
  secret: string,
  attributes: [number, Buffer | string][],
  password?: Buffer | string,
) {
  const authenticator = randomBytes(16);
  const all: [number, Buffer][] = attributes.map(([type, value]) => [type, Buffer.from(value)]);
  if (password !== undefined) all.push([2, pap(Buffer.from(password), secret, authenticator)]);
  all.push([80, Buffer.alloc(16)]);
  const body = Buffer.concat(
    all.map(([type, value]) => Buffer.concat([Buffer.from([type, value.length + 2]), value])),
  );
  const packet = Buffer.concat([Buffer.from([1, randomBytes(1)[0] ?? 0, 0, 0]), authenticator, body]);
  packet.writeUInt16BE(packet.length, 2);
  createHmac('md5', secret)
    .update(packet)
    .digest()
    .copy(packet, packet.length - 16);
  return packet;
}

export interface RawReply {
  code: number | null;
  state: Buffer | null;
  message: string;
}

function readReply(reply: Buffer | null): RawReply {
  if (!reply) return { code: null, state: null, message: '' };
  let at = 20;
  let state: Buffer | null = null;
  let message = '';
  while (at + 2 <= reply.length) {
    const type = reply[at] ?? 0;
    const length = reply[at + 1] ?? 2;
    const value = reply.subarray(at + 2, at + length);
    if (type === 24) state = Buffer.from(value);
    if (type === 18) message += value.toString('utf8');
    at += Math.max(2, length);
  }
  return { code: reply[0] ?? null, state, message };
}

/** Sends `packet` to the server from `from` (a loopback address), and reads its reply (null code: none). */
export async function sendFrom(port: number, from: string, packet: Buffer, waitMs = 1500): Promise<RawReply> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.close();
      resolve(readReply(null));
    }, waitMs);
    socket.once('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(readReply(reply));
    });
    socket.send(packet, port, '127.0.0.1');
  });
}
