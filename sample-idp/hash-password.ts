// `npm run hash-password`: a `passwordHash` for a user of the sample federation server's config
// (scrypt, N=2^15, r=8, p=1: `scrypt$N=32768,r=8,p=1$<salt>$<hash>`), printed on stdout. The
// password is read from stdin, never from the command line (where shell history and `ps` would
// keep it): typed at a terminal without echo, twice; or piped, one line
// (`printf '%s' "$PW" | npm run -s hash-password`). Exit 1 for a password the config would refuse
// (fewer than 8 or more than 256 characters, or two that differ), 2 for any argument.
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from './password-hash.ts';

function fail(message: string, code = 1): never {
  process.stderr.write(`hash-password: ${message}\n`);
  process.exit(code);
}

/** One line typed at the terminal, not echoed (raw mode: Enter ends it, Ctrl-C and Ctrl-D stop). */
function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve) => {
    let typed = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          input.off('data', onData);
          input.setRawMode(false);
          input.pause();
          process.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          input.setRawMode(false);
          process.stderr.write('\n');
          fail('cancelled', 130);
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/** All of a piped stdin, one trailing line break dropped; one line only. */
async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (/[\r\n]/.test(text)) fail('stdin holds more than one line: give one password, on one line');
  return text;
}

if (process.argv.length > 2)
  fail(
    'takes no arguments: the password is read from stdin (typed, or piped), never from the command line',
    2,
  );
let password: string;
if (process.stdin.isTTY) {
  password = await readHidden('Password: ');
  if ((await readHidden('Again: ')) !== password) fail('the two passwords differ: nothing printed');
} else {
  password = await readPiped();
}
// Counted as the config's `password` is (UTF-16 code units).
if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)
  fail(`the password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters (it has ${password.length})`);
process.stdout.write(`${await hashPassword(password)}\n`);
