// mfakit/cli — the `mfakit` command line as a function, for tools that run it in-process (the
// sample federation server's `npm run tap` does): `runCli(['tap', 'issue', '--user', 'alice',
// '--store', 'sqlite:mfa.sqlite'], { stdout, stderr, env })` resolves with the exit status the
// command would have (0 success, 1 failed operation, 2 usage) and writes only through the given
// io. Also the reader and writer of its key-list setting (`ID:BASE64,ID:BASE64`, current first).

export type { SealingKey } from '../crypto/seal.ts';
export { type CliIo, main as runCli } from './main.ts';
export { formatSealingKeys, parseSealingKeys } from './sealing-keys.ts';
