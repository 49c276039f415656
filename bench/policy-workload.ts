/**
 * The conditional-access benchmark's workload: 10, 100 or 1,000 policies over 10,000 CIDR
 * ranges in 50 named locations, and 10,000 request contexts, all from a seeded PRNG, so every
 * run measures the same workload.
 */
import {
  type ClientAppType,
  type PolicyContext,
  type PolicyDocument,
  type PolicyDocumentInput,
  type PolicyInput,
  parsePolicyDocument,
} from 'mfakit/policy';

export const CIDR_COUNT = 10_000;
export const LOCATION_COUNT = 50;
export const APP_COUNT = 40;
export const GROUP_COUNT = 20;
export const USER_COUNT = 5_000;
export const CONTEXT_COUNT = 10_000;

// ---------- deterministic randomness ----------
/** mulberry32: small, fast, good enough for workload generation. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const chance = (p: number) => next() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const sample = <T>(xs: readonly T[], n: number): T[] => {
    const copy = [...xs];
    const out: T[] = [];
    while (out.length < n && copy.length > 0)
      out.push(copy.splice(Math.floor(next() * copy.length), 1)[0] as T);
    return out;
  };
  return { next, int, chance, pick, sample };
}
export type Rng = ReturnType<typeof prng>;

// ---------- vocabulary ----------
export const APPS = Array.from({ length: APP_COUNT }, (_, i) => `app-${String(i + 1).padStart(2, '0')}`);
export const GROUPS = Array.from({ length: GROUP_COUNT }, (_, i) => `grp-${String(i + 1).padStart(2, '0')}`);
export const ROLES = ['globalAdmin', 'helpdesk', 'billingAdmin', 'securityReader', 'developer'];
export const USERS = Array.from({ length: USER_COUNT }, (_, i) => `user${String(i + 1).padStart(5, '0')}`);
export const BREAK_GLASS = 'breakglass01';
export const TIME_ZONES = ['Europe/Berlin', 'America/New_York'];
export const WORKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;
export const CLIENT_TYPES: readonly ClientAppType[] = ['browser', 'mobileDesktop', 'legacy'];

// ---------- named locations: 10,000 CIDRs over 50 locations ----------
export interface Range {
  family: 4 | 6;
  /** IPv4: the network as a 32-bit number. IPv6: the top 64 bits as 4 × 16-bit groups. */
  v4: number;
  v6: number[];
  prefix: number;
}

export const v4Text = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
export const v6Text = (groups: readonly number[]) => groups.map((g) => g.toString(16)).join(':');

export function makeRange(rng: Rng): Range {
  if (rng.chance(0.08)) {
    // IPv6 /32-/64 under a global-unicast-looking 2xxx: prefix.
    const prefix = rng.int(32, 64);
    const groups = [0x2000 + rng.int(0, 0xfff), rng.int(0, 0xffff), rng.int(0, 0xffff), rng.int(0, 0xffff)];
    for (let g = 0; g < 4; g++) {
      const keep = Math.max(0, Math.min(16, prefix - g * 16));
      groups[g] = ((groups[g] ?? 0) & ((0xffff << (16 - keep)) & 0xffff)) >>> 0;
    }
    return { family: 6, v4: 0, v6: groups, prefix };
  }
  // IPv4 /16-/29, weighted towards office-sized /22-/28, in public-looking space.
  const prefix = rng.pick([16, 18, 20, 21, 22, 22, 23, 24, 24, 24, 25, 26, 27, 27, 28, 28, 29]);
  const first = rng.pick([
    ...Array.from({ length: 200 }, (_, i) => i + 11).filter((o) => o !== 127 && o !== 100 && o !== 172),
  ]);
  const raw = ((first << 24) | (rng.int(0, 255) << 16) | (rng.int(0, 255) << 8) | rng.int(0, 255)) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { family: 4, v4: (raw & mask) >>> 0, v6: [], prefix };
}

export const rangeText = (r: Range) =>
  r.family === 4 ? `${v4Text(r.v4)}/${r.prefix}` : `${v6Text(r.v6)}::/${r.prefix}`;

/** An address inside the range. */
export function addressIn(rng: Rng, r: Range): string {
  if (r.family === 4) {
    const hostBits = 32 - r.prefix;
    const host = hostBits === 0 ? 0 : Math.floor(rng.next() * 2 ** hostBits);
    return v4Text((r.v4 + host) >>> 0);
  }
  const groups = [...r.v6];
  for (let g = 0; g < 4; g++) {
    const fixed = Math.max(0, Math.min(16, r.prefix - g * 16));
    const free = 16 - fixed;
    if (free > 0) groups[g] = (groups[g] ?? 0) | rng.int(0, (1 << free) - 1);
  }
  const iid = [rng.int(0, 0xffff), rng.int(0, 0xffff), rng.int(0, 0xffff), rng.int(1, 0xffff)];
  return v6Text([...groups, ...iid]);
}

export interface Locations {
  namedLocations: NonNullable<PolicyDocumentInput['namedLocations']>;
  ranges: Range[];
  ids: string[];
}

export function makeLocations(rng: Rng): Locations {
  // Uneven sizes, like real deployments: a few huge carrier/VPN lists, many small offices.
  const weights = Array.from({ length: LOCATION_COUNT }, (_, i) => (i < 5 ? 12 : 1 + rng.next() * 2));
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((w / total) * CIDR_COUNT)));
  let assigned = counts.reduce((a, b) => a + b, 0);
  for (let i = 0; assigned < CIDR_COUNT; i = (i + 1) % LOCATION_COUNT, assigned++)
    counts[i] = (counts[i] ?? 0) + 1;

  const ranges: Range[] = [];
  const ids: string[] = [];
  const namedLocations = counts.map((count, i) => {
    const id = i < 5 ? `vpn-${i + 1}` : `office-${String(i - 4).padStart(2, '0')}`;
    ids.push(id);
    const own = Array.from({ length: count }, () => makeRange(rng));
    ranges.push(...own);
    return {
      id,
      name: i < 5 ? `VPN egress ${i + 1}` : `Office ${i - 4}`,
      // Four trusted locations: two small HQ networks, a VPN, one branch.
      trusted: i === 2 || i === 5 || i === 6 || i === 17,
      cidrs: own.map(rangeText),
    };
  });
  return { namedLocations, ranges, ids };
}

// ---------- policies ----------
export function makePolicies(rng: Rng, count: number, locationIds: readonly string[]): PolicyInput[] {
  const allAppPolicies = Math.min(8, Math.max(2, Math.round(count / 25)));
  const policies: PolicyInput[] = [];
  for (let i = 0; i < count; i++) {
    const allApps = i < allAppPolicies;
    const users: { include: string[]; exclude: string[] } = { include: [], exclude: [BREAK_GLASS] };
    const groups: { include: string[]; exclude: string[] } = { include: [], exclude: [] };
    const roles: { include: string[]; exclude: string[] } = { include: [], exclude: [] };
    const who = rng.next();
    if (allApps ? who < 0.6 : who < 0.15) users.include.push('all');
    else if (who < 0.7) groups.include.push(...rng.sample(GROUPS, rng.int(1, 3)));
    else if (who < 0.85) roles.include.push(...rng.sample(ROLES, rng.int(1, 2)));
    else users.include.push(...rng.sample(USERS, rng.int(5, 40)));
    if (rng.chance(0.3)) groups.exclude.push(...rng.sample(GROUPS, rng.int(1, 2)));
    if (rng.chance(0.15)) users.exclude.push(...rng.sample(USERS, rng.int(1, 5)));

    const applications = allApps
      ? { include: ['all'], exclude: rng.chance(0.5) ? rng.sample(APPS, rng.int(1, 3)) : [] }
      : { include: rng.sample(APPS, rng.int(1, 3)), exclude: [] };

    const conditions: NonNullable<PolicyInput['conditions']> = {};
    const where = rng.next();
    if (where < 0.35) conditions.locations = { include: ['any'], exclude: ['trusted'] };
    else if (where < 0.5) conditions.locations = { include: rng.sample(locationIds, rng.int(1, 4)) };
    else if (where < 0.58)
      conditions.locations = { include: ['any'], exclude: rng.sample(locationIds, rng.int(1, 3)) };
    if (rng.chance(0.2)) conditions.clientAppTypes = rng.sample(CLIENT_TYPES, rng.int(1, 2));
    if (rng.chance(0.1)) conditions.deviceState = rng.chance(0.7) ? 'notRemembered' : 'remembered';
    if (rng.chance(0.15))
      conditions.risk = rng.chance(0.5)
        ? { signals: rng.sample(['newDevice', 'newNetwork', 'fraudFlagged'] as const, rng.int(1, 2)) }
        : { signals: ['fraudFlagged'], failureVelocityAtLeast: rng.int(3, 10) };
    if (rng.chance(0.12)) {
      const timeZone = rng.pick(TIME_ZONES);
      conditions.times = rng.chance(0.6)
        ? // Outside business hours: exclude the working day.
          { exclude: [{ days: [...WORKDAYS], start: '08:00', end: '18:00', timeZone }] }
        : // Only overnight maintenance windows.
          { include: [{ days: ['sat', 'sun'], start: '22:00', end: '06:00', timeZone }] };
    }

    const g = rng.next();
    const block = g < 0.08;
    if (block) {
      // Blocks are narrow, as in real deployments: legacy protocols, fraud, or certain networks.
      const why = rng.next();
      if (why < 0.4) conditions.clientAppTypes = ['legacy'];
      else if (why < 0.7) conditions.risk = { signals: ['fraudFlagged'] };
      else conditions.locations = { include: rng.sample(locationIds.slice(5), rng.int(1, 2)) };
    }
    const grant: PolicyInput['grant'] = block
      ? { block: true }
      : g < 0.6
        ? { controls: ['mfa'] }
        : g < 0.75
          ? { controls: [{ authenticationStrength: 'otpOrBetter' }] }
          : g < 0.85
            ? { controls: [{ authenticationStrength: 'phishingResistant' }] }
            : g < 0.93
              ? { controls: [{ authenticationStrength: 'hardwareKeyOrApp' }] }
              : {
                  operator: 'requireOne',
                  controls: ['mfa', { authenticationStrength: 'phishingResistant' }],
                };
    const session: NonNullable<PolicyInput['session']> = {};
    if (rng.chance(0.25)) session.signInFrequencyHours = rng.pick([1, 4, 8, 12, 24, 168]);
    if (rng.chance(0.1)) session.rememberDevice = false;
    if (rng.chance(0.15)) session.rememberDeviceMaxDays = rng.pick([7, 14, 30, 90]);

    const s = rng.next();
    const policy: PolicyInput = {
      id: `pol-${String(i + 1).padStart(4, '0')}`,
      name: `Policy ${i + 1}`,
      state: s < 0.05 ? 'off' : s < 0.12 ? 'reportOnly' : 'on',
      assignments: { users, groups, roles, applications },
      conditions,
      grant,
      session,
    };
    if (rng.chance(0.04)) policy.assignments.authenticationContexts = [rng.pick(['c1', 'c2', 'c3'])];
    policies.push(policy);
  }
  return policies;
}

export function makeDocument(count: number): PolicyDocument {
  const locations = makeLocations(prng(0x10ca7e));
  return parsePolicyDocument({
    namedLocations: locations.namedLocations,
    authenticationStrengths: [
      {
        id: 'hardwareKeyOrApp',
        name: 'Security key or authenticator app',
        combinations: [['webauthn'], ['password', 'totp'], ['password', 'hardwareOath']],
      },
    ],
    policies: makePolicies(prng(0xc0ffee + count), count, locations.ids),
  } satisfies PolicyDocumentInput);
}

// ---------- contexts ----------
export function makeContexts(ranges: readonly Range[]): PolicyContext[] {
  const rng = prng(0xbeef);
  // Requests cluster in time: 600 distinct minutes over one week (so some fall inside and
  // some outside the time windows), seconds random. Live traffic is denser still — every
  // request of a minute shares that minute.
  const weekStart = Date.UTC(2026, 2, 2); // a Monday
  const minutes = Array.from({ length: 600 }, () => rng.int(0, 7 * 24 * 60 - 1));
  return Array.from({ length: CONTEXT_COUNT }, (): PolicyContext => {
    let ip: string;
    if (rng.chance(0.5)) ip = addressIn(rng, rng.pick(ranges));
    else if (rng.chance(0.15))
      ip = v6Text([0x2a00 + rng.int(0, 0xff), ...Array.from({ length: 7 }, () => rng.int(0, 0xffff))]);
    else ip = v4Text(((rng.int(11, 223) << 24) | rng.int(0, 0xffffff)) >>> 0);
    // Every field present, in one order, as the engine builds it (src/engine/decide.ts).
    const ctx: PolicyContext = {
      userId: rng.chance(0.001) ? BREAK_GLASS : rng.pick(USERS),
      groups: rng.sample(GROUPS, rng.int(0, 3)),
      roles: rng.chance(0.1) ? rng.sample(ROLES, 1) : [],
      app: rng.chance(0.03) ? 'unlisted-app' : rng.pick(APPS),
      authenticationContexts: rng.chance(0.05) ? [rng.pick(['c1', 'c2', 'c3'])] : undefined,
      ip,
      clientAppType: rng.chance(0.8) ? 'browser' : rng.chance(0.8) ? 'mobileDesktop' : 'legacy',
      deviceRemembered: rng.chance(0.3),
      risk: rng.chance(0.2)
        ? {
            newDevice: rng.chance(0.5),
            newNetwork: rng.chance(0.5),
            fraudFlagged: rng.chance(0.02),
            recentFailures: rng.int(0, 6),
          }
        : undefined,
      time: weekStart + rng.pick(minutes) * 60_000 + rng.int(0, 59_999),
    };
    return ctx;
  });
}

/** The benchmark's document for `count` policies and its context pool (for profiling). */
export function policyBenchWorkload(count: number): { document: PolicyDocument; contexts: PolicyContext[] } {
  return { document: makeDocument(count), contexts: makeContexts(makeLocations(prng(0x10ca7e)).ranges) };
}
