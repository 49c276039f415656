import { ConfigError, cidrSchema, trustedProxySchema } from 'mfakit';
import { z } from 'zod';

/**
 * The demo's settings, from environment variables (documented in the README), validated so
 * a typo is reported at start-up with the variable's name.
 */
const list = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );
const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

export const demoEnvSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.string().default('127.0.0.1'),
  MFAKIT_DATA_FILE: z.string().default('data/mfakit-demo.sqlite'),
  MFAKIT_TRUSTED_NETWORKS: list.pipe(z.array(cidrSchema)),
  MFAKIT_TRUSTED_PROXIES: list.pipe(z.array(trustedProxySchema)),
  MFAKIT_REMEMBER_DAYS: int(14, 1, 365),
  MFAKIT_REMEMBER_MAX_DAYS: int(60, 1, 365),
  MFAKIT_LOCKOUT_MAX_ATTEMPTS: int(5, 1, 100),
  MFAKIT_LOCKOUT_SECONDS: int(900, 1, 86400),
  MFAKIT_LOCKOUT_HARD_LIMIT: int(20, 1, 100),
  MFAKIT_SECURE_COOKIES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** base64 32-byte key; when absent the demo generates one and keeps it next to the data file. */
  MFAKIT_SEALING_KEY: z.string().optional(),
  SESSION_SECRET: z.string().min(16).optional(),
  /** Conditional access: a .json/.yaml policy file, or 'store' (the document saved in the data file, edited with the CLI). */
  MFAKIT_POLICIES: z.string().min(1).optional(),
  /**
   * The origin browsers use, for passkeys (default http://localhost:<PORT>). Browsers refuse
   * WebAuthn on IP addresses: use localhost (or your domain), never 127.0.0.1.
   */
  MFAKIT_PUBLIC_ORIGIN: z.url({ protocol: /^https?$/ }).optional(),
});

export type DemoConfig = z.output<typeof demoEnvSchema>;

export function loadDemoConfig(env: NodeJS.ProcessEnv): DemoConfig {
  const parsed = demoEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ');
    throw new ConfigError(`invalid demo settings:\n  ${problems}`);
  }
  return parsed.data;
}
