// The `appPasswords` option: whether users may create app passwords (generated passwords for
// legacy clients that cannot answer a second step, as in Azure MFA), the applications they may
// scope one to, how many a user may hold, how long one lasts, and who may not have any.
import { z } from 'zod';

/** A conditional-access application name, as `defaultApp` is written. */
const APP_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

const appSchema = z.object({
  /** The application name the legacy client signs in to (what the integration passes as `app`). */
  id: z.string().regex(APP_ID, 'an application name: letters, digits and _ . : @ -'),
  /** What users see when they choose it, e.g. "VPN" or "Calendar feeds". */
  name: z.string().trim().min(1).max(64),
});

export const appPasswordsSchema = z
  .object({
    /** Off unless enabled: each app password is a way in that asks for no second step. */
    enabled: z.boolean().default(false),
    /** The legacy applications an app password may be scoped to: at least one when enabled. */
    apps: z.array(appSchema).max(50).default([]),
    /** Azure allows 40; ten is plenty for one per device. */
    maxPerUser: z.number().int().min(1).max(100).default(10),
    /** Days until one expires (null: never). A forgotten password on a lost device dies by itself. */
    lifetimeDays: z.number().int().min(1).max(3650).nullable().default(365),
    /** Users in these groups (the `directory` option) may hold none: Azure's "not for administrators". */
    excludeGroups: z.array(z.string().min(1)).max(100).default([]),
    /** Users with these roles may hold none. */
    excludeRoles: z.array(z.string().min(1)).max(100).default([]),
  })
  .refine((a) => !a.enabled || a.apps.length > 0, {
    message: 'appPasswords.apps must name at least one application when app passwords are enabled',
    path: ['apps'],
  })
  .refine((a) => new Set(a.apps.map((app) => app.id)).size === a.apps.length, {
    message: 'appPasswords.apps must not name an application twice',
    path: ['apps'],
  });

export type AppPasswordsOptions = z.output<typeof appPasswordsSchema>;
