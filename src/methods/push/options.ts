// pushMethod()'s options, checked once when the method is built: a ConfigError names every bad
// path, as createMfa's own options do.
import { z } from 'zod';
import { parseConfig } from '../../engine/options.ts';
import type { PushDelivery } from './delivery.ts';

const window = z.object({
  max: z.number().int().min(1).max(100),
  windowSeconds: z.number().int().min(1).max(86_400),
});

const schema = z.object({
  endpoint: z
    .url({ protocol: /^https?$/, error: 'endpoint must be the device API’s absolute http(s) URL' })
    .refine((u) => !u.includes('#') && !u.includes('?'), 'endpoint has no query or fragment'),
  delivery: z
    .custom<PushDelivery>(
      (v) => typeof v === 'object' && v !== null && typeof (v as PushDelivery).send === 'function',
      'delivery must have a send(notification) function',
    )
    .optional(),
  lifetimeSeconds: z.number().int().min(30).max(600).default(120),
  perUser: window.default({ max: 5, windowSeconds: 300 }),
  serviceName: z.string().min(1).max(64).optional(),
});

export interface PushOptions {
  /**
   * The device API's absolute URL as the app reaches it (e.g. `https://idp.example.com/mfa/device`):
   * put in the registration's QR code, and the audience every device request is signed for.
   */
  endpoint: string;
  /** How notifications reach devices (APNs, FCM…); default: the development outbox. */
  delivery?: PushDelivery;
  /** How long a notification can be answered, in seconds: default 120, 30 to 600. */
  lifetimeSeconds?: number;
  /** Notifications per user in a window: default 5 per 300 seconds (push fatigue). */
  perUser?: { max: number; windowSeconds: number };
  /** What notifications and the app call the service; default the engine's `issuer`. */
  serviceName?: string;
}

export type ResolvedPushOptions = z.output<typeof schema>;

export const resolvePushOptions = (options: PushOptions): ResolvedPushOptions =>
  parseConfig(schema, options, 'pushMethod options');
