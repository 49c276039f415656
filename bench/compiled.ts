// The benchmarks' server processes run as a deployment runs them: compiled JavaScript, not the
// TypeScript sources through node's type stripping (which alone added ≈ 20 MB of resident
// memory here, measured at start), with the V8 flag `npm start` gives
// the sample. `compiledServer()` builds src/, adapters/, sample-idp/ and bench/ into dist/ once
// per run (`tsc -p tsconfig.bench.json`: the package's own build plus these, with no
// declarations) and says how to fork a file of it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * V8 flags of the server processes, as package.json's `start` scripts give them. Node 24 lets
 * V8's young generation grow to two 64 MB semi-spaces on a machine with this much memory, and
 * keeps them once grown: 16 MB bounds that without a measurable cost per request here.
 */
export const SERVER_V8_FLAGS = ['--max-semi-space-size=16'];

const SOURCE_CONDITION = /(^|\s)--conditions[= ]mfakit-source(?=\s|$)/g;

let built = false;

/** Builds the JavaScript once per run; the path of `bench/<name>.ts` compiled, and how to fork it. */
export function compiledServer(name: string): { path: string; execArgv: string[]; env: NodeJS.ProcessEnv } {
  if (!built) {
    const began = Date.now();
    execFileSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.bench.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    console.log(`(server code compiled to dist/ in ${((Date.now() - began) / 1000).toFixed(1)} s)`);
    built = true;
  }
  // Without the mfakit-source condition, `mfakit` resolves to dist/ too (package.json exports).
  const execArgv = process.execArgv.filter((arg, i, all) => {
    const pair = (a: string | undefined) => a === '--conditions' || a === '-C';
    return (
      arg !== '--conditions=mfakit-source' &&
      !(pair(arg) && all[i + 1] === 'mfakit-source') &&
      !(arg === 'mfakit-source' && pair(all[i - 1]))
    );
  });
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').replace(SOURCE_CONDITION, ' ').trim();
  return {
    path: `${ROOT}dist/bench/${name}.js`,
    execArgv: [...execArgv, ...SERVER_V8_FLAGS],
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
  };
}
