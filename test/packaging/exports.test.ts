// The package as its users see it: what each subpath export loads (the framework integrations
// and the adapters' database clients are optional peers, so `import 'mfakit'` must load none of
// them, and each adapter loads only its own client), an exports map whose
// source, types and code targets agree, and a sample that reaches mfakit only by its name.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

// Run in a fresh Node process: records the package of every module resolved while importing the
// given specifier (ESM imports and CommonJS requires alike), then prints them with the entry file.
const RECORDER = `
import { registerHooks } from 'node:module';
const packages = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    const at = result.url.lastIndexOf('/node_modules/');
    if (at >= 0) {
      const [first, second] = result.url.slice(at + '/node_modules/'.length).split('/');
      packages.add(first.startsWith('@') ? first + '/' + second : first);
    }
    return result;
  },
});
const specifier = process.env.IMPORT_SPECIFIER;
await import(specifier);
process.stdout.write(JSON.stringify({ entry: import.meta.resolve(specifier), packages: [...packages] }));
`;

interface Loaded {
  entry: string;
  packages: string[];
}

function loadInFreshProcess(specifier: string): Promise<Loaded> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ['--conditions=mfakit-source', '--input-type=module', '--eval', RECORDER],
      { cwd: ROOT, env: { ...process.env, IMPORT_SPECIFIER: specifier } },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`import '${specifier}' failed: ${stderr}`));
        resolvePromise(JSON.parse(stdout) as Loaded);
      },
    );
  });
}

const FRAMEWORKS = ['express', 'express-session', 'passport', 'oidc-provider'];
// The database clients an adapter is built on, optional peers too: each loaded by its adapter only.
const ADAPTER_CLIENTS: Record<string, string> = { postgres: 'pg', redis: 'redis' };
const CLIENTS = Object.values(ADAPTER_CLIENTS);
// The sample relying party's OIDC client: never a dependency of the package itself.
const SAMPLE_ONLY = ['openid-client'];
const ADAPTERS = readdirSync(join(ROOT, 'adapters')).filter((name) =>
  existsSync(join(ROOT, 'adapters', name, 'index.ts')),
);
// Dependencies imported on first use (a passkey checked, an app enrolled), not by any import.
const ON_FIRST_USE = ['@simplewebauthn/server', 'qrcode'];
// The RADIUS codec: loaded by mfakit/radius only.
const RADIUS = ['radius'];
const NEVER_BY_DEFAULT = [...FRAMEWORKS, ...CLIENTS, ...SAMPLE_ONLY, ...ON_FIRST_USE, ...RADIUS];

const CASES: { specifier: string; loads: string[]; never: string[] }[] = [
  { specifier: 'mfakit', loads: ['zod'], never: NEVER_BY_DEFAULT },
  { specifier: 'mfakit/policy', loads: ['zod'], never: NEVER_BY_DEFAULT },
  { specifier: 'mfakit/cli', loads: ['zod'], never: NEVER_BY_DEFAULT },
  ...ADAPTERS.map((name) => {
    const client = ADAPTER_CLIENTS[name];
    return {
      specifier: `mfakit/adapters/${name}`,
      loads: client ? [client] : [],
      never: NEVER_BY_DEFAULT.filter((peer) => peer !== client),
    };
  }),
  {
    specifier: 'mfakit/radius',
    loads: ['radius', 'zod'],
    never: [...FRAMEWORKS, ...CLIENTS, ...SAMPLE_ONLY, ...ON_FIRST_USE],
  },
  {
    specifier: 'mfakit/passport',
    loads: ['passport-strategy'],
    never: ['express', 'express-session', 'oidc-provider', ...CLIENTS, ...SAMPLE_ONLY, ...ON_FIRST_USE],
  },
  {
    specifier: 'mfakit/express',
    loads: ['express'],
    never: ['oidc-provider', 'passport', ...CLIENTS, ...SAMPLE_ONLY, ...ON_FIRST_USE],
  },
  {
    specifier: 'mfakit/oidc',
    loads: ['oidc-provider', 'express'],
    never: ['passport', ...CLIENTS, ...SAMPLE_ONLY, ...ON_FIRST_USE],
  },
];

describe('package exports', function () {
  // Each case starts a Node process that loads a part of the package from source.
  this.timeout(60_000);

  it('this test run resolves mfakit to its TypeScript sources (the mfakit-source condition is on)', () => {
    assert.equal(
      fileURLToPath(import.meta.resolve('mfakit')),
      join(ROOT, 'src', 'index.ts'),
      'run the tests through npm (npm test, npx mocha …): the .npmrc turns on --conditions=mfakit-source; ' +
        'without it the sample would load a stale dist/ build beside the sources the tests import',
    );
  });

  it("the frameworks and the adapters' database clients are optional peer dependencies", () => {
    const peers = [...FRAMEWORKS, ...CLIENTS];
    assert.deepEqual(Object.keys(PACKAGE.peerDependencies).sort(), peers.sort());
    for (const name of peers) assert.equal(PACKAGE.peerDependenciesMeta[name]?.optional, true, name);
  });

  for (const { specifier, loads, never } of CASES) {
    it(`import '${specifier}' loads none of ${never.join(', ')}`, async () => {
      const { entry, packages } = await loadInFreshProcess(specifier);
      const file = fileURLToPath(entry);
      assert.ok(
        file.startsWith(ROOT) && file.endsWith('.ts'),
        `${specifier} resolved to ${file}, not to its source`,
      );
      for (const name of never) assert.ok(!packages.includes(name), `import '${specifier}' loaded ${name}`);
      // The recorder sees what the import really loads (a broken recorder would pass every "never").
      for (const name of loads)
        assert.ok(packages.includes(name), `import '${specifier}' did not load ${name}`);
    });
  }

  it('every subpath maps its source, its types and its code to the same module', () => {
    const subpaths = Object.entries(PACKAGE.exports).filter(([key]) => key !== './package.json');
    assert.ok(subpaths.length >= 7);
    for (const [subpath, target] of subpaths) {
      assert.equal(typeof target, 'object', subpath);
      const { 'mfakit-source': source, types, default: code, ...rest } = target as Record<string, string>;
      // Node and TypeScript take the first condition that matches: the source one must come first.
      assert.deepEqual(Object.keys(target), ['mfakit-source', 'types', 'default'], subpath);
      assert.deepEqual(rest, {}, subpath);
      assert.match(source ?? '', /^\.\/(src|adapters)\/.*\.ts$/, subpath);
      const module = (source as string).slice('./'.length, -'.ts'.length);
      assert.equal(types, `./dist/${module}.d.ts`, subpath);
      assert.equal(code, `./dist/${module}.js`, subpath);
      if (!module.includes('*')) assert.ok(existsSync(join(ROOT, `${module}.ts`)), `${subpath}: ${source}`);
    }
  });
});

describe('the sample federation server', () => {
  const sourcesUnder = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(dir, file));

  it('imports mfakit only by its name, never a file of the package', () => {
    const escapes: string[] = [];
    for (const file of sourcesUnder('sample-idp')) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (!specifier?.startsWith('.')) continue;
        const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
        if (!target.startsWith(`sample-idp/`)) escapes.push(`${file}: ${specifier}`);
      }
      if (/['"](\.\/)?src\//.test(text)) escapes.push(`${file}: a path into src/`);
    }
    assert.deepEqual(escapes, []);
  });
});
