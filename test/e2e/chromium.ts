import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium, headless, driven by playwright-core (no browser is ever downloaded). The
 * flags are the ones this machine's guide prescribes for a sandbox-less container.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

export const ARTIFACTS = join(import.meta.dirname, 'artifacts');

/** Saves a full-page screenshot as test/e2e/artifacts/<n>-<name>.png (not committed). */
export async function snap(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Chromium's virtual authenticator on a page (CDP WebAuthn domain). */
export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
  /** Whether it answers on its own, as a user touching it would (on at first). */
  presence(on: boolean): Promise<void>;
}

/**
 * A platform authenticator as a passkey-capable phone or laptop has: CTAP2, internal transport,
 * resident keys, user verification done and answered automatically. WebAuthn works on
 * http://localhost only: browsers refuse IP-address origins.
 */
export async function addVirtualAuthenticator(
  context: BrowserContext,
  page: Page,
): Promise<VirtualAuthenticator> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    presence: async (enabled) => {
      await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
    },
  };
}
