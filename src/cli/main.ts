#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerServe } from './serve.js';
import { registerUser } from './user.js';
import { registerRootKey } from './root-key.js';
import { registerKey } from './key.js';
import { registerCp } from './cp.js';
import { registerLs } from './ls.js';
import { registerVerify } from './verify.js';
import { registerRotate } from './rotate.js';
import { ConfigError } from '../config.js';

const program = new Command();
program
  .name('strongbox')
  .description('Strongbox: an S3-compatible object store with server-side encryption done right')
  .version('0.1.0')
  .exitOverride();
registerServe(program);
registerUser(program);
registerRootKey(program);
registerKey(program);
registerCp(program);
registerLs(program);
registerVerify(program);
registerRotate(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`strongbox: ${message}\n`);
  // 2: the configuration is wrong (a bad flag, variable or file), as sysexits' usage errors.
  process.exit(err instanceof ConfigError ? 2 : 1);
}
