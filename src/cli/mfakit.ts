#!/usr/bin/env node
// The `mfakit` executable: runs the command line (main.ts) on the process's arguments,
// standard output, standard error and environment, and exits with its status.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
