import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real Debian tools the tests talk to. Under CI=true a missing tool fails the test; on a
 * developer machine the test is skipped with a message saying what to install.
 */
export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function requireTools(ctx: Mocha.Context, ...names: string[]): void {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return;
  if (process.env.CI === 'true') throw new Error(`CI needs these tools: ${missing.join(', ')}`);
  ctx.skip();
}

/** The variables `requireEnv` has already said are unset. */
const warned = new Set<string>();

/**
 * A server the tests reach through an environment variable (DATABASE_URL): under CI=true an
 * unset variable fails the test; on a developer machine the test is skipped, saying so once.
 * Returns the variable's value.
 */
export function requireEnv(ctx: Mocha.Context, name: string, example: string): string {
  const value = process.env[name];
  if (value) return value;
  if (process.env.CI === 'true') throw new Error(`CI needs ${name} (for example ${example})`);
  if (!warned.has(name))
    console.warn(`      ${name} is not set: skipping the tests that need it (e.g. ${example})`);
  warned.add(name);
  ctx.skip();
}

/** Decodes a QR code given as SVG markup: rsvg-convert renders it, zbarimg reads it. */
export function decodeQrSvg(svg: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mfakit-qr-'));
  try {
    writeFileSync(join(dir, 'qr.svg'), svg);
    execFileSync(
      'rsvg-convert',
      ['-w', '400', '-b', 'white', join(dir, 'qr.svg'), '-o', join(dir, 'qr.png')],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    return execFileSync('zbarimg', ['-q', '--raw', join(dir, 'qr.png')], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
