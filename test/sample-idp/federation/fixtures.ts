// Shared fixtures of the federation server tests: the claims providers, local and linked partner
// users, the stack they start, and helpers for codes and the partner's sign-in page (and what the
// partner was last asked).
import assert from 'node:assert/strict';
import { PARTNER_DEMO_USERS, type PartnerUser } from '../../../sample-idp/partner-idp/server.ts';
import { codeFor } from '../../helpers/app.ts';
import type { Browser, Page } from '../../helpers/browser.ts';
import {
  atRp,
  type ClaimsProviderSpec,
  type FederationStack,
  loginAtPartnerPage,
  startFederationStack,
} from '../../helpers/federation-stack.ts';

export const PROVIDERS: ClaimsProviderSpec[] = [
  {
    id: 'partner',
    domain: 'partner.test',
    behavior: 'acceptIfMfaDoneByFederatedIdp',
    mfaAcr: 'urn:partner:mfa',
  },
  {
    id: 'strict',
    domain: 'strict.partner.test',
    behavior: 'enforceMfaByFederatedIdp',
    mfaAcr: 'urn:partner:mfa',
  },
  {
    id: 'legacy',
    domain: 'legacy.partner.test',
    behavior: 'rejectMfaByFederatedIdp',
    mfaAcr: 'urn:partner:mfa',
  },
  {
    id: 'linked',
    domain: 'linked.partner.test',
    behavior: 'rejectMfaByFederatedIdp',
    mfaAcr: 'urn:partner:mfa',
    accountMapping: 'linkByEmail',
  },
];
/** Local users besides the stack's (alice here in groups, bob enforced, and two in the linked domain). */
export const USERS = [
  {
    id: 'alice',
    name: 'Alice',
    email: 'alice@contoso.test',
    password: 'alice password',
    groups: ['staff', 'secret-club'],
    mfaState: 'enabled',
  },
  { id: 'bob', name: 'Bob', email: 'bob@contoso.test', password: 'bob password', mfaState: 'enforced' },
  {
    id: 'frank',
    name: 'Frank Local',
    email: 'frank@linked.partner.test',
    password: 'frank password',
    mfaState: 'disabled',
  },
  {
    id: 'gina',
    name: 'Gina Local',
    email: 'gina@linked.partner.test',
    password: 'gina password',
    mfaState: 'disabled',
  },
];
/** A partner user whose address belongs to a local account (linkByEmail), and one the partner never verified. */
export const LINKED_USERS: PartnerUser[] = [
  { id: 'frank', name: 'Frank Linked', email: 'frank@linked.partner.test', password: 'partner demo frank' },
  {
    id: 'gina',
    name: 'Gina Unverified',
    email: 'gina@linked.partner.test',
    password: 'partner demo gina',
    emailVerified: false,
  },
];

export const startStack = (extra: { rpUrl?: string; trustedProxies?: string[] } = {}) =>
  startFederationStack({
    users: USERS,
    claimsProviders: PROVIDERS,
    partnerUsers: [...PARTNER_DEMO_USERS, ...LINKED_USERS],
    ...extra,
  });

/** The code an authenticator app shows for `secret` at the federation server's (test) time. */
export const code = (s: FederationStack, secret: string, offsetSteps = 0) =>
  codeFor(secret, s.clock, offsetSteps);

/** At the partner's login page (after home-realm discovery), signs in there with the demo password. */
export const partnerSignIn = (b: Browser, partnerPage: Page, username: string, mfa: boolean) =>
  loginAtPartnerPage(b, partnerPage, { username, password: `partner demo ${username.split('@')[0]}` }, mfa);

/** The partner's sign-in form, as its page shows it. */
export const PARTNER_FORM = /Sign in to Partner Co/;

/** The partner's last login prompt's authorization parameters. */
export const lastPartnerLogin = (s: FederationStack) => s.partner.logins.at(-1) ?? {};

/** `page` is the partner's sign-in form: no code was issued without a new sign-in there. */
export const atPartnerForm = (page: Page) => {
  assert.ok(!atRp(new URL(page.url)), `a code was issued without a new sign-in: ${page.url}`);
  assert.match(page.text, PARTNER_FORM, page.text.slice(0, 300));
};
