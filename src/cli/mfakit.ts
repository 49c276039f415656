#!/usr/bin/env node
import { main } from './main.ts';

/** `mfakit`: what-if decisions and policy administration from the command line (see `mfakit --help`). */
process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
