// The real RADIUS peer for the mfakit/radius tests: FreeRADIUS's `radclient` (freeradius-utils),
// spawned once per request with its attributes on stdin, one try (`-r 1`) and a short timeout,
// and its `-x` output read back: the reply's code, its Reply-Message and State — or no reply.
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';

export const RADCLIENT = '/usr/bin/radclient';

export interface RadiusAnswer {
  /** `Access-Accept`, `Access-Reject`, `Access-Challenge`, or null when nothing (valid) came back. */
  code: string | null;
  replyMessage: string;
  /** The State attribute as radclient prints it, without `0x`. */
  state: string | null;
  /** radclient's whole output, for assertion messages. */
  output: string;
}

/** A radclient attribute value: a string (quoted), or bytes (0x…). */
export type AttributeValue = string | Buffer;

const format = (value: AttributeValue) =>
  Buffer.isBuffer(value) ? `0x${value.toString('hex')}` : JSON.stringify(value);

/**
 * One Access-Request to 127.0.0.1:`port` (or `host`, e.g. `[::1]`) signed with `secret`. A
 * Message-Authenticator is added unless `messageAuthenticator: false`. `timeoutSeconds`: how
 * long radclient waits for a reply.
 */
export function radclient(
  port: number,
  secret: string,
  attributes: Record<string, AttributeValue>,
  options: { messageAuthenticator?: boolean; timeoutSeconds?: number; host?: string } = {},
): Promise<RadiusAnswer> {
  const all = { ...attributes };
  if (options.messageAuthenticator !== false) all['Message-Authenticator'] = Buffer.alloc(1);
  const input = Object.entries(all)
    .map(([name, value]) => `${name} = ${format(value)}`)
    .join(', ');
  const args = [
    '-x',
    '-r',
    '1',
    '-t',
    String(options.timeoutSeconds ?? 2),
    `${options.host ?? '127.0.0.1'}:${port}`,
    'auth',
    secret,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(RADCLIENT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', () => resolve(parseAnswer(output)));
    child.stdin.end(`${input}\n`);
  });
}

/** radclient's `-x` output: the received packet's code and attributes. */
export function parseAnswer(output: string): RadiusAnswer {
  const received = /^Received (Access-\w+) Id \d+[^\n]*\n((?:[ \t]+[^\n]*\n?)*)/m.exec(output);
  if (!received) return { code: null, replyMessage: '', state: null, output };
  const body = received[2] ?? '';
  const messages = [...body.matchAll(/Reply-Message = "((?:[^"\\]|\\.)*)"/g)].map((m) =>
    (m[1] ?? '').replace(/\\(.)/g, '$1'),
  );
  const state = /State = 0x([0-9a-f]+)/.exec(body)?.[1] ?? null;
  return { code: received[1] ?? null, replyMessage: messages.join(''), state, output };
}

/** A UDP socket on one port (as a NAS has): `send` resolves with the reply, or null after `waitMs`. */
export async function rawClient(port: number) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    send(bytes: Buffer, waitMs = 300): Promise<Buffer | null> {
      return new Promise((resolve) => {
        const done = (reply: Buffer | null) => {
          clearTimeout(timer);
          socket.off('message', done);
          resolve(reply);
        };
        const timer = setTimeout(() => done(null), waitMs);
        socket.on('message', done);
        socket.send(bytes, port, '127.0.0.1');
      });
    },
    /** Sends `bytes` `times` times back to back (retransmissions before any reply); every reply within `waitMs`. */
    burst(bytes: Buffer, times: number, waitMs = 1000): Promise<Buffer[]> {
      return new Promise((resolve) => {
        const replies: Buffer[] = [];
        const collect = (reply: Buffer) => replies.push(reply);
        socket.on('message', collect);
        for (let i = 0; i < times; i++) socket.send(bytes, port, '127.0.0.1');
        setTimeout(() => {
          socket.off('message', collect);
          resolve(replies);
        }, waitMs);
      });
    },
    close: () => socket.close(),
  };
}

/** Sends raw bytes to the server from a fresh UDP socket; resolves with the reply, or null after `waitMs`. */
export async function sendRaw(port: number, bytes: Buffer, waitMs = 300): Promise<Buffer | null> {
  const client = await rawClient(port);
  try {
    return await client.send(bytes, waitMs);
  } finally {
    client.close();
  }
}

/** Whether radclient is installed (the tests need the real peer). */
export const radclientVersion = () =>
  new Promise<string>((resolve, reject) =>
    execFile(RADCLIENT, ['-v'], (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n')[0] ?? ''))),
  );
