// The two scripts pages with a passkey form load, served by the integration from this package:
// @simplewebauthn/browser's bundle, read from node_modules (no CDN), and mfakit's own client
// (webauthn-client.ts), which drives it from the forms' data attributes. Read once.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WEBAUTHN_CLIENT_JS } from './webauthn-client.ts';

let cached: { browser: string; client: string } | null = null;

/** The browser library and mfakit's client, as JavaScript text. */
export function webauthnScripts(): { browser: string; client: string } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  // …/@simplewebauthn/browser/script/index.js → …/@simplewebauthn/browser/dist/bundle/
  const browserDir = dirname(dirname(require.resolve('@simplewebauthn/browser')));
  cached = {
    browser: readFileSync(join(browserDir, 'dist', 'bundle', 'index.umd.min.js'), 'utf8'),
    client: WEBAUTHN_CLIENT_JS,
  };
  return cached;
}

/** The asset paths under an integration's base path. */
export const WEBAUTHN_SCRIPT_PATHS = ['/assets/webauthn-browser.js', '/assets/webauthn-client.js'] as const;
