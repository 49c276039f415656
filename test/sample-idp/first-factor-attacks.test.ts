/**
 * The federation server's password sign-ins attacked over real HTTP: the security-info
 * portal and the interaction login share one first-factor gate (throttle, home-realm
 * discovery, audit). Each case is a finding of an attacker's review, reproduced as the
 * attacker ran it.
 */
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../src/index.ts';
import { Browser, inputValue, type Page } from '../helpers/browser.ts';
import {
  atRp,
  authorizationRequest,
  type FederationStack,
  startFederationStack,
  uidOf,
} from '../helpers/federation-stack.ts';

/** Besides alice and dana: accounts whose own address is in the partner's domain. */
const PARTNER_DOMAIN_USERS = [
  // A user id that reads as a local address; the account's own address is the partner's.
  {
    id: 'frank@contoso.test',
    name: 'Frank',
    email: 'frank@partner.test',
    password: 'frank password',
    mfaState: 'disabled',
  },
  { id: 'gina', name: 'Gina', email: 'gina@partner.test', password: 'gina password', mfaState: 'disabled' },
];

interface Stack extends FederationStack {
  events: AuditEvent[];
}

async function startStack(): Promise<Stack> {
  const events: AuditEvent[] = [];
  const stack = await startFederationStack({
    users: PARTNER_DOMAIN_USERS,
    partnerAccountMapping: 'linkByEmail',
    audit: (e) => {
      events.push(e);
    },
  });
  return { ...stack, events };
}

/** An open interaction at the password page for `identifier`. */
async function passwordPage(b: Browser, s: Stack, identifier: string) {
  const first = await b.go(authorizationRequest(s).url, { stopAt: atRp });
  const uid = uidOf(first);
  const page = await b.go(`${s.fedUrl}/interaction/${uid}/identify`, {
    form: { identifier, _csrf: inputValue(first.text, '_csrf') },
    stopAt: (u) => atRp(u) || u.origin === s.partnerUrl,
  });
  return { uid, page };
}

const postPassword = (
  b: Browser,
  s: Stack,
  at: { uid: string; page: Page },
  identifier: string,
  password: string,
) =>
  b.go(`${s.fedUrl}/interaction/${at.uid}/login`, {
    form: { identifier, password, _csrf: inputValue(at.page.text, '_csrf') },
    stopAt: atRp,
  });

async function portalForm(b: Browser, s: Stack) {
  const page = await b.go(`${s.fedUrl}/account`);
  return inputValue(page.text, '_csrf');
}

const failuresOf = (s: Stack, userId: string) =>
  s.events.filter((e) => e.type === 'first_factor_failed' && e.userId === userId).length;

describe('sample-idp: one first-factor gate under attack', function () {
  this.timeout(60_000);
  let s: Stack;
  beforeEach(async () => {
    s = await startStack();
  });
  afterEach(async () => s.close());

  it('/account/login: 31 guesses for alice are throttled and audited, and the interaction login shares the budget', async () => {
    const b = new Browser();
    const csrf = await portalForm(b, s);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const r = await b.fetch(`${s.fedUrl}/account/login`, {
        form: { identifier: 'alice', password: `guess ${i}`, _csrf: csrf },
      });
      statuses.push(r.status);
      await r.text();
    }
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(
      statuses.slice(5).every((x) => x === 429),
      statuses.join(' '),
    );
    assert.equal(failuresOf(s, 'alice'), 5, 'each checked guess is audited, and only 5 were checked');
    assert.ok(!JSON.stringify(s.events).includes('guess '), 'a password reached the audit log');
    // The right password, now through the OIDC login: the same account, the same wait.
    const other = new Browser();
    const at = await passwordPage(other, s, 'alice');
    const right = await postPassword(other, s, at, 'alice', 'alice password');
    assert.equal(right.status, 429);
    assert.match(right.text, /Too many attempts\. Try again in/);
  });

  it('/account/login refuses a local password for an account whose address is in a partner domain', async () => {
    const b = new Browser();
    const csrf = await portalForm(b, s);
    for (const identifier of ['frank@contoso.test', 'gina', 'gina@partner.test']) {
      const r = await b.fetch(`${s.fedUrl}/account/login`, {
        form: {
          identifier,
          password: identifier.startsWith('frank') ? 'frank password' : 'gina password',
          _csrf: csrf,
        },
      });
      assert.equal(r.status, 403, identifier);
      assert.match(await r.text(), /signs in with Partner partner/);
    }
    const home = await b.go(`${s.fedUrl}/account`);
    assert.doesNotMatch(home.text, /Signed in as/);
  });

  it('40 parallel wrong passwords for dana and then the right one: a handful checked, the right one refused', async () => {
    const browsers = Array.from({ length: 40 }, () => new Browser());
    const pages = await Promise.all(browsers.map((b) => passwordPage(b, s, 'dana')));
    const results = await Promise.all(
      browsers.map((b, i) =>
        postPassword(
          b,
          s,
          pages[i] as { uid: string; page: Page },
          'dana',
          i === 39 ? 'dana password' : `wrong ${i}`,
        ),
      ),
    );
    const checked = failuresOf(s, 'dana') + s.events.filter((e) => e.type === 'first_factor_verified').length;
    assert.ok(checked <= 5, `${checked} passwords checked`);
    assert.ok(results.filter((r) => r.status === 429).length >= 35);
    const last = results[39] as Page;
    assert.notEqual(last.status, 303, 'the 40th (right) password signed in');
    assert.ok(!atRp(new URL(last.url)));
  });

  it('alice and alice@contoso.test are one budget', async () => {
    const b = new Browser();
    for (let i = 0; i < 5; i++) {
      const at = await passwordPage(b, s, 'alice');
      assert.equal((await postPassword(b, s, at, 'alice', `wrong ${i}`)).status, 401);
    }
    const at = await passwordPage(b, s, 'alice@contoso.test');
    assert.equal((await postPassword(b, s, at, 'alice@contoso.test', 'alice password')).status, 429);
  });

  it('ten posts by a stranger do not lock the owner out: after Retry-After the owner signs in', async () => {
    const stranger = new Browser();
    let retryAfter = 0;
    for (let i = 0; i < 10; i++) {
      const r = await stranger.fetch(`${s.fedUrl}/account/login`, {
        form: { identifier: 'dana', password: `stranger ${i}`, _csrf: await portalForm(stranger, s) },
      });
      await r.text();
      retryAfter = Number(r.headers.get('retry-after') ?? 0);
    }
    assert.ok(retryAfter > 0 && retryAfter <= 900, `Retry-After ${retryAfter}`);
    s.clock.advance(retryAfter * 1000);
    const owner = new Browser();
    const at = await passwordPage(owner, s, 'dana');
    const signedIn = await postPassword(owner, s, at, 'dana', 'dana password');
    assert.ok(atRp(new URL(signedIn.url)), `${signedIn.status} ${signedIn.url}`);
  });

  it('home-realm discovery on the account: a user id with a local-looking address still goes to its partner', async () => {
    const b = new Browser();
    const at = await passwordPage(b, s, 'frank@contoso.test');
    assert.equal(new URL(at.page.url).origin, s.partnerUrl, 'the identifier was not sent to the partner');
    // And a password post for it (skipping the identify step) is refused.
    const direct = await passwordPage(b, s, 'dana');
    const r = await postPassword(b, s, direct, 'frank@contoso.test', 'frank password');
    assert.equal(r.status, 403);
    assert.match(r.text, /signs in with Partner partner/);
  });

  it('a user name that belongs to a partner account goes there without revealing its address', async () => {
    const b = new Browser();
    const byName = await passwordPage(b, s, 'gina');
    const url = new URL(byName.page.url);
    assert.equal(url.origin, s.partnerUrl);
    assert.equal(url.searchParams.get('login_hint'), null);
    assert.ok(!byName.page.url.includes('gina%40partner') && !byName.page.url.includes('gina@partner'));
    const byAddress = await passwordPage(new Browser(), s, 'gina@partner.test');
    assert.equal(new URL(byAddress.page.url).searchParams.get('login_hint'), 'gina@partner.test');
  });
});
