// mfakit/radius: a RADIUS authentication server (RFC 2865) in front of the engine, so VPNs and
// other clients that speak only RADIUS get MFA — the password through your first-factor gate,
// then the second factor as an Access-Challenge (a code from the app, or `push`, `sms`, `call`).
//
// import { createRadiusServer } from 'mfakit/radius';
// const server = createRadiusServer({ mfa, gate: mfa.firstFactorGate(directory),
//   ephemeral: stores.ephemeral, clients: [{ address: '10.0.0.5', secret: process.env.VPN_SECRET! }] });
// await server.listen(1812);
export type { RadiusServerOptions } from './options.ts';
export { createRadiusServer, type RadiusServer } from './server.ts';
