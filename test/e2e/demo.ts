// `npm start` for the browser end-to-end tests: the three servers in a child process on free
// ports with a fresh data directory, and the sign-in at the demo app as a person does it.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface Demo {
  child: ChildProcess;
  rp: string;
  fed: string;
  output: string[];
}

/**
 * Starts `node sample-idp/start.ts` on free ports and a fresh data directory; resolves with the
 * URLs it prints. `env`: more settings, e.g. FED_CONFIG for another config file.
 */
export function startDemo(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<Demo> {
  const child = spawn(process.execPath, ['sample-idp/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      // The SQLite file of the fresh data directory, whatever DATABASE_URL / REDIS_URL CI sets.
      DATABASE_URL: '',
      REDIS_URL: '',
      FED_PORT: '0',
      PARTNER_PORT: '0',
      DEMO_RP_PORT: '0',
      FED_DATA_FILE: join(dataDir, 'federation.sqlite'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not print its URLs:\n${output.join('')}`)),
      60_000,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const text = output.join('');
      const rp = /Demo SaaS app \(relying party\):\s+(http:\/\/\S+?)\/?\s/.exec(text)?.[1];
      const fed = /Federation server \(OpenID provider\):\s+(http:\/\/\S+?)\/?\s/.exec(text)?.[1];
      if (rp && fed && text.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve({ child, rp, fed, output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}):\n${output.join('')}`));
    });
  });
}

/** The app's sign-in, through the IdP's identifier and password pages (a prompt or the app follows). */
export async function signInAtApp(page: Page, rp: string, user: string, password: string) {
  await page.goto(`${rp}/login`);
  await page.getByLabel(/user name|e-mail/i).fill(user);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export const claim = (page: Page, name: string) => page.locator(`[data-claim="${name}"]`).innerText();
