// App passwords in the federation server's config: on unless turned off, for the server's two
// legacy applications — its RADIUS front end (app `radius`) and its HTTP Basic API for scripts
// and old clients (app `legacy-api`, /legacy/me) — each valid `lifetimeDays`, and none for the
// `excludeGroups` (e.g. [admins], as Azure keeps them from administrators).
import type { MfaOptions } from 'mfakit';
import { z } from 'zod';

/** The applications the server's legacy clients sign in to, as policies and app passwords name them. */
export const RADIUS_APP = 'radius';
export const LEGACY_API_APP = 'legacy-api';

export const appPasswordsConfigSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    lifetimeDays: z
      .number({ error: 'must be a number of days, or null for no expiry' })
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: 'must be at least 1' })
      .max(3650, { error: 'must be at most 3650' })
      .nullable()
      .default(365),
    excludeGroups: z
      .array(z.string({ error: 'must be a group name' }).min(1).max(64), {
        error: 'must be a list of groups',
      })
      .default([]),
  })
  .prefault({});

export type AppPasswordsConfig = z.output<typeof appPasswordsConfigSchema>;

/** createMfa's `appPasswords` for this config: the VPN only when the server runs RADIUS. */
export function appPasswordOptions(
  config: AppPasswordsConfig,
  radius: boolean,
): NonNullable<MfaOptions['appPasswords']> {
  return {
    enabled: config.enabled,
    apps: [
      ...(radius ? [{ id: RADIUS_APP, name: 'VPN (RADIUS)' }] : []),
      { id: LEGACY_API_APP, name: 'Scripts and older apps (HTTP Basic)' },
    ],
    lifetimeDays: config.lifetimeDays,
    excludeGroups: config.excludeGroups,
  };
}
