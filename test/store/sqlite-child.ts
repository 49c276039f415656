// Helpers of the SQLite adapter's own tests: a private directory of fresh database files per
// suite, and child `node` processes that open the same file, so a test can race two processes
// on it or kill one mid-way (the Redis and PostgreSQL adapters' tests race children the same way,
// started together by `startTogether`).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Call inside a `describe`: a temporary directory made before its tests and removed after them.
 * Returns a function handing out a fresh database path in it on each call.
 */
export function freshDatabasePaths(): () => string {
  let dir = '';
  let files = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mfakit-sqlite-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return () => join(dir, `db-${files++}.sqlite`);
}

export interface Child {
  process: ChildProcess;
  /** Resolves with the next line the child writes to stdout. */
  line(): Promise<string>;
  /** Resolves when the child exits, with its exit code (or signal) and stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/**
 * Runs an ES module `script` in a fresh `node` process; the adapter — `adapters/<name>/index.ts`
 * for a name (SQLite's by default), or a module URL — is importable as `ADAPTER`.
 */
export function spawnNode(script: string, env: Record<string, string>, adapter = 'sqlite'): Child {
  const url = adapter.includes(':')
    ? adapter
    : new URL(`../../adapters/${adapter}/index.ts`, import.meta.url).href;
  const source = `import * as ADAPTER from ${JSON.stringify(url)};
${script}`;
  const child = spawn(process.execPath, ['--input-type=module', '--eval', source], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    process: child,
    line() {
      const next = lines.shift();
      if (next !== undefined) return Promise.resolve(next);
      return Promise.race([
        new Promise<string>((resolve) => waiting.push(resolve)),
        exited.then(({ code, stderr: err }) => {
          throw new Error(`child exited (${code}) before writing a line: ${err}`);
        }),
      ]);
    },
    exited,
  };
}

export async function expectCleanExit(child: Child) {
  const { code, stderr } = await child.exited;
  assert.equal(code, 0, `child failed: ${stderr}`);
}

/**
 * Starts racing children together: each says "ready" once set up, waits for "go" on stdin, then
 * prints one JSON line; resolves with each child's line parsed, after all exited cleanly.
 */
export async function startTogether(children: Child[]): Promise<unknown[]> {
  try {
    for (const child of children) assert.equal(await child.line(), 'ready');
    for (const child of children) child.process.stdin?.write('go\n');
    const outputs = await Promise.all(children.map((child) => child.line()));
    await Promise.all(children.map(expectCleanExit));
    return outputs.map((output) => JSON.parse(output) as unknown);
  } finally {
    for (const child of children) if (child.process.exitCode === null) child.process.kill();
  }
}
