/**
 * Shared fixtures of the `mfakit` command-line tests: a policy document, and a temporary directory
 * holding it as policies.json for each describe that calls useCliWorkspace().
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRATION_EXAMPLE = 'examples/policies/register-security-info.yaml';

export const trustedOffice = {
  id: 'mfa-outside-office',
  name: 'MFA outside the office',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  conditions: { locations: { include: ['any'], exclude: ['office'] } },
  grant: { controls: ['mfa'] },
};

export const blockLegacy = {
  id: 'block-legacy',
  name: 'Block legacy clients',
  state: 'reportOnly',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  conditions: { clientAppTypes: ['legacy'] },
  grant: { block: true },
};

export const document = {
  namedLocations: [{ id: 'office', name: 'Office', trusted: true, cidrs: ['203.0.113.0/24'] }],
  policies: [trustedOffice, blockLegacy],
};

export let dir: string;
export let policiesFile: string;

/** Registers the hooks that create the directory and policies.json before the tests and remove it after. */
export function useCliWorkspace(): void {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-cli-'));
    policiesFile = join(dir, 'policies.json');
    await writeFile(policiesFile, JSON.stringify(document));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
}
