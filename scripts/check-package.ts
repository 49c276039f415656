// `npm run check:package` (after `npm run build`; CI runs it): the package as a user gets it.
// Packs mfakit and installs the tarball into a fresh project, twice over:
//   1. alone (with @types/node): the subpaths that need no framework type-check and run, and the
//      `mfakit` bin runs — so the optional peers really are optional;
//   2. with the optional peers and the type packages the README lists: every subpath export.
// Each time a module importing the subpaths is type-checked (strict, nodenext, mfakit's
// declarations checked too) and run: each resolves into the installed dist/, is neither empty
// nor `any`, and `import 'mfakit'` loads no framework. Installs come from npm's cache when they
// can (`--prefer-offline`, the versions installed here), from the registry otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  peerDependencies: Record<string, string>;
};
const PEERS = Object.keys(pkg.peerDependencies);

// The subpaths that adapt a framework or sit on a database client (the optional peers); every
// other one must work without.
const INTEGRATIONS = ['express', 'passport', 'oidc', 'adapters/postgres', 'adapters/redis'].map(
  (name) => `${pkg.name}/${name}`,
);

// What a TypeScript user installs beside mfakit and the peers (as the README says).
const TYPE_PACKAGES = [
  '@types/express',
  '@types/express-session',
  '@types/passport',
  '@types/passport-strategy',
  '@types/oidc-provider',
  '@types/pg',
];

// Child processes see no NODE_OPTIONS: the repository's .npmrc puts the mfakit-source condition
// there, which would point the installed package at sources it does not ship.
const { NODE_OPTIONS: _ignored, npm_config_node_options: _alsoIgnored, ...cleanEnv } = process.env;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    env: cleanEnv,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The version installed here, so the fresh project gets the same one (from npm's cache after npm ci). */
function installed(name: string): string {
  const file = join(ROOT, 'node_modules', name, 'package.json');
  return `${name}@${(JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version}`;
}

function npmInstall(project: string, packages: string[]): void {
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'];
  run('npm', ['install', ...flags, ...packages], project);
}

/** The subpaths a user can import; `./adapters/*` stands for every adapter in the tarball. */
function subpathsOf(files: Set<string>): string[] {
  const specifiers: string[] = [];
  for (const key of Object.keys(pkg.exports)) {
    if (key === './package.json') continue;
    if (key === './adapters/*') {
      for (const file of [...files].sort()) {
        const adapter = /^dist\/adapters\/([^/]+)\/index\.js$/.exec(file)?.[1];
        if (adapter) specifiers.push(`${pkg.name}/adapters/${adapter}`);
      }
    } else specifiers.push(key === '.' ? pkg.name : `${pkg.name}/${key.slice('./'.length)}`);
  }
  if (!specifiers.some((s) => s.startsWith(`${pkg.name}/adapters/`)))
    throw new Error('no adapter in the tarball');
  // The root comes first: the consumer module records what importing it alone loads.
  if (specifiers[0] !== pkg.name) throw new Error(`the exports map does not start with "."`);
  return specifiers;
}

if (!existsSync(join(ROOT, 'dist', 'src', 'index.js'))) {
  console.error('check-package: dist/ is missing: run npm run build first');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'mfakit-package-'));
let passed = false;
try {
  const started = Date.now();
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as {
    filename: string;
    files: { path: string }[];
  }[];
  if (!packed) throw new Error('npm pack reported no tarball');
  const files = new Set(packed.files.map((f) => f.path));
  const extra = [...files].filter(
    (f) => !f.startsWith('dist/') && !/^(package\.json|README\.md|LICEN[CS]E)$/.test(f),
  );
  if (extra.length > 0) throw new Error(`the tarball ships more than dist/: ${extra.join(', ')}`);
  const specifiers = subpathsOf(files);
  const core = specifiers.filter((s) => !INTEGRATIONS.includes(s));

  writeFileSync(
    join(work, 'package.json'),
    `${JSON.stringify({ name: 'mfakit-package-check', private: true, type: 'module' })}\n`,
  );
  writeFileSync(join(work, 'core.ts'), consumerModule(core));
  writeFileSync(join(work, 'all.ts'), consumerModule(specifiers));
  const tsconfig = (file: string) => ({
    compilerOptions: {
      target: 'es2023',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
    },
    files: [file],
  });
  writeFileSync(join(work, 'tsconfig.core.json'), JSON.stringify(tsconfig('core.ts')));
  writeFileSync(join(work, 'tsconfig.all.json'), JSON.stringify(tsconfig('all.ts')));

  npmInstall(work, [join(work, packed.filename), installed('@types/node')]);
  const unasked = PEERS.filter((name) => existsSync(join(work, 'node_modules', name)));
  if (unasked.length > 0) throw new Error(`npm installed the optional peers ${unasked.join(', ')} unasked`);
  typeCheck(work, 'tsconfig.core.json');
  process.stdout.write(run(process.execPath, ['core.ts'], work));
  const usage = run(join(work, 'node_modules', '.bin', 'mfakit'), ['--help'], work);
  if (!usage.startsWith('Usage:')) throw new Error(`mfakit --help printed ${usage.slice(0, 200)}`);

  npmInstall(work, [...PEERS, ...TYPE_PACKAGES].map(installed));
  typeCheck(work, 'tsconfig.all.json');
  process.stdout.write(run(process.execPath, ['all.ts'], work));

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `check-package: ${packed.filename} (${files.size} files) installs, type-checks and imports ` +
      `${core.join(', ')} and runs the mfakit bin without any framework; ` +
      `with ${PEERS.join(', ')} also ${INTEGRATIONS.join(', ')} (${seconds} s)`,
  );
  passed = true;
} finally {
  if (passed) rmSync(work, { recursive: true, force: true });
  else console.error(`check-package: failed; the project is kept in ${work}`);
}

/**
 * tsc over the user's module with every library's declarations checked. A diagnostic in the user's
 * module or in mfakit's declarations fails; one inside another package's declarations (such as
 * @types/koa against content-disposition 2's own types) is that package's, and only reported.
 */
function typeCheck(project: string, config: string): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  let output = '';
  try {
    output = run(process.execPath, [tsc, '-p', join(project, config), '--pretty', 'false'], project);
  } catch (err) {
    output = String((err as { stdout?: unknown }).stdout ?? '');
    if (output === '') throw err;
  }
  const diagnostics = output.split(/\n(?=\S)/).filter((d) => d.trim() !== '');
  const others = diagnostics.filter(
    (d) => d.startsWith('node_modules/') && !d.startsWith('node_modules/mfakit/'),
  );
  const ours = diagnostics.filter((d) => !others.includes(d));
  for (const d of others) console.log(`check-package: not mfakit's: ${d.trim()}`);
  if (ours.length > 0) throw new Error(`the installed package does not type-check:\n${ours.join('\n')}`);
}

/**
 * The user's module: every given subpath imported with its types (a missing or `any` declaration
 * fails tsc), resolved inside the installed package, not empty; `import 'mfakit'` first, with a
 * resolve hook recording every package it loads, none of which may be a framework peer.
 */
function consumerModule(specifiers: string[]): string {
  const lines = specifiers.map(
    (s, i) =>
      `const m${i}: typeof import('${s}') = await import('${s}');\nconst typed${i}: IsAny<typeof m${i}> = false;`,
  );
  return `// Written by mfakit's scripts/check-package.ts.
import assert from 'node:assert/strict';
import { registerHooks } from 'node:module';

type IsAny<T> = 0 extends 1 & T ? true : false;

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    const at = result.url.lastIndexOf('/node_modules/');
    if (at >= 0) {
      const [first = '', second = ''] = result.url.slice(at + '/node_modules/'.length).split('/');
      loaded.add(first.startsWith('@') ? first + '/' + second : first);
    }
    return result;
  },
});

${lines[0]}
const frameworks = ${JSON.stringify(PEERS)}.filter((name) => loaded.has(name));
assert.deepEqual(frameworks, [], "import '${specifiers[0]}' loaded " + frameworks.join(', '));

${lines.slice(1).join('\n')}

const modules: Record<string, object> = { ${specifiers.map((s, i) => `'${s}': m${i}`).join(', ')} };
for (const [specifier, module] of Object.entries(modules)) {
  assert.match(import.meta.resolve(specifier), /\\/node_modules\\/mfakit\\/dist\\/.*\\.js$/, specifier);
  assert.ok(Object.keys(module).length > 0, specifier + ' exports nothing');
}
void [${specifiers.map((_, i) => `typed${i}`).join(', ')}];
console.log('check-package: imported ' + Object.keys(modules).join(', '));
`;
}
