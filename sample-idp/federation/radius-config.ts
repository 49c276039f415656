// The federation server's optional RADIUS front end (mfakit/radius) in its config file: where it
// listens (UDP) and which clients (VPN concentrators, each by address or CIDR) may ask it, each
// with its own shared secret — usually `${VPN_RADIUS_SECRET}` from the environment. Absent: no
// RADIUS server. Local users sign in with their password, then a code, `push`, `sms` or `call`.
import { cidrSchema } from 'mfakit/policy';
import { z } from 'zod';

export const radiusConfigSchema = z.strictObject({
  /** UDP port (default 1812, RADIUS's; 0: any free port). */
  port: z.number({ error: 'must be a port number' }).int().min(0).max(65535).default(1812),
  /** Listen address (default 127.0.0.1; 0.0.0.0 for every interface). */
  host: z.string().min(1).default('127.0.0.1'),
  clients: z
    .array(
      z.strictObject({
        address: cidrSchema,
        secret: z.string().min(16, 'a shared secret must be at least 16 characters').max(128),
        name: z.string().min(1).max(64).optional(),
      }),
    )
    .min(1, 'at least one RADIUS client is required'),
});

export type RadiusConfig = z.output<typeof radiusConfigSchema>;
