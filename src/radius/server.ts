// The RADIUS authentication server: a UDP socket that answers Access-Requests from the
// configured clients (RFC 2865). For each datagram, in this order:
//   1. the source address must be a configured client's — else it is discarded unanswered, as
//      RFC 2865 §3 asks (an answer would confirm the server to a scanner);
//   2. the packet is read with that client's shared secret: malformed, forged (wrong secret),
//      or without a valid Message-Authenticator while one is required (BlastRADIUS,
//      CVE-2024-3596) — discarded unanswered;
//   3. a retransmission (the same packet from the same place, within a few seconds) gets the
//      reply the first one got, without running again (retransmissions.ts);
//   4. the sign-in step (exchange.ts) is answered, the reply signed with the secret.
// A store failure is reported to the engine (`mfa.reportOutage`: audited once a minute) and
// answered with an Access-Reject; no error reaches the socket, nothing typed is logged.
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { parseAddress } from '../trust/address.ts';
import { createExchange } from './exchange.ts';
import { UNAVAILABLE } from './messages.ts';
import { addressOf, clientTable, parseRadiusOptions, type RadiusServerOptions } from './options.ts';
import { type AccessRequest, encodeReply, MAX_PACKET, type Reply, readAccessRequest } from './packet.ts';
import { createReplyCache } from './retransmissions.ts';

export interface RadiusServer {
  /** Starts answering on `port` (0: any free port) of `host` (default 0.0.0.0; an IPv6 address listens on IPv6). */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** Stops answering; the pending sign-ins stay in the stores until they expire. */
  close(): Promise<void>;
}

export function createRadiusServer(input: RadiusServerOptions): RadiusServer {
  const options = parseRadiusOptions(input);
  const { mfa } = options;
  const clientOf = clientTable(options.clients);
  const exchange = createExchange(options);
  const cache = createReplyCache(options.retransmitCacheSeconds * 1000);
  const log = (message: string) => options.log?.(`mfakit/radius: ${message}`);
  let socket: Socket | null = null;

  // Clients told once that they report no IP address in Calling-Station-Id.
  const noStationAddress = new Set<string>();

  async function answer(request: AccessRequest, from: RemoteInfo, secret: string, name: string) {
    // The user's address, for the throttle, the lockout's address buckets, trusted networks and
    // named locations: every datagram comes from the NAS, so its address would put all of its
    // users in one bucket (one attacker's guesses would lock every VPN user out) and show the
    // policies the concentrator, not the user. A NAS reports the user's own address (a VPN
    // client's public IP) in Calling-Station-Id; that attribute is as trustworthy as the NAS,
    // which the shared secret authenticates. When it is no IP address (a MAC address, a phone
    // number, strongSwan's `ip[port]`), the NAS's address is all there is — never a trusted
    // network's (it is every user's), and a warning says so once.
    const nas = parseAddress(from.address)?.toString() ?? from.address;
    const station = addressOf(request.callingStationId);
    if (station === null && !noStationAddress.has(name)) {
      noStationAddress.add(name);
      log(
        `client ${name} sends no IP address in Calling-Station-Id: its users share its address ${nas} for throttling`,
      );
    }
    const ip = station ?? nas;
    const allowTrustedNetwork = options.trustedNetworks && station !== null;
    const requestId = `radius-${randomBytes(9).toString('base64url')}`;
    let reply: Reply;
    try {
      reply = await exchange.reply(request, { client: name, ip, allowTrustedNetwork, requestId });
    } catch (err) {
      // A store failure is audited by the engine; anything else is a bug, logged by its name only.
      if (!mfa.reportOutage(err, { ip, requestId }))
        log(`error answering ${requestId}: ${err instanceof Error ? err.name : typeof err}`);
      reply = { code: 'Access-Reject', replyMessage: UNAVAILABLE };
    }
    return encodeReply(request, reply, secret);
  }

  async function onMessage(packet: Buffer, from: RemoteInfo) {
    const client = clientOf(from.address);
    if (!client) {
      log(`discarded a packet from ${from.address}: not a configured client`);
      return;
    }
    if (packet.length > MAX_PACKET) {
      log(`discarded a packet from ${from.address} (client ${client.name}): over ${MAX_PACKET} octets`);
      return;
    }
    // Checked before the retransmission cache: only a request signed with the client's secret
    // takes a place in it, so forged datagrams cannot push real ones out.
    const read = readAccessRequest(packet, client.secret);
    if (!read.ok) {
      log(`discarded a packet from ${from.address} (client ${client.name}): ${read.reason}`);
      return;
    }
    if (options.requireMessageAuthenticator && !read.request.hasMessageAuthenticator) {
      log(
        `discarded an Access-Request from ${from.address} (client ${client.name}): no Message-Authenticator`,
      );
      return;
    }
    const key = cache.key(client.name, `${from.address}:${from.port}`, packet);
    let reply = cache.get(key);
    if (!reply) {
      reply = answer(read.request, from, client.secret, client.name);
      cache.set(key, reply);
    }
    const bytes = await reply;
    if (bytes && socket) socket.send(bytes, from.port, from.address);
  }

  return {
    listen(port, host = '0.0.0.0') {
      if (socket) return Promise.reject(new Error('mfakit/radius: the server is listening already'));
      const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
      socket = s;
      s.on('message', (packet, from) => {
        onMessage(packet, from).catch((err: unknown) => {
          log(`error on a packet from ${from.address}: ${err instanceof Error ? err.name : typeof err}`);
        });
      });
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, host, () => {
          s.off('error', reject);
          s.on('error', (err) => log(`socket error: ${err.message}`));
          resolve({ port: s.address().port });
        });
      });
    },
    close() {
      const s = socket;
      socket = null;
      cache.clear();
      return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
    },
  };
}
