import type { Command } from 'commander';
import type { Outcome } from '../main.js';
import { register as check } from './check.js';
import { register as crc } from './crc.js';
import { register as dump } from './dump.js';
import { register as inspect } from './inspect.js';
import { register as repair } from './repair.js';
import { register as seenCleanup } from './seen-cleanup.js';

/** Each command adds itself to the program; its action stores its exit code in `outcome`. */
export type Register = (program: Command, outcome: Outcome) => void;

export const COMMANDS: Register[] = [
  check,
  crc,
  dump,
  inspect,
  repair,
  seenCleanup,
];
