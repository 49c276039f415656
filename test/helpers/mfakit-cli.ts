// Runs the `mfakit` command line as an operator runs it: a child process on this repository's
// source, with extra environment variables, answering its exit status and output (`mfakit`); or,
// for the many short commands, its `main` in this process with exactly the environment given
// (`mfakitInProcess`).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = 'src/cli/mfakit.ts';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function mfakit(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** `main(args)` in this process, with `env` as its whole environment. */
export async function mfakitInProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
  });
  return { code, stdout, stderr };
}
