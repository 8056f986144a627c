// Entry point: wires commands to actions and maps errors to fsck(8) exit codes.
// Commands live in ./commands/<name>.ts; each exports `register(program)`; actions return an
// exit code rather than calling process.exit, so tests can call them directly.
import { Command, CommanderError } from 'commander';
import { ExitCode, ExitError } from '../errors.js';
import { VERSION } from '../version.js';
import { COMMANDS } from './commands/index.js';

/** Where a command's action leaves its exit code. */
export interface Outcome {
  code: number;
}

export function buildProgram(outcome: Outcome = { code: ExitCode.OK }): Command {
  const program = new Command('cyrus-fsck')
    .version(VERSION)
    .description(
      'Integrity check and replication-safe repair for Cyrus IMAP mail spools.\n' +
        'Run it as the Cyrus user (usually `cyrus`). Exit codes follow fsck(8):\n' +
        '  0 clean · 1 repaired · 4 problems left · 8 operational error · 16 usage · 32 interrupted',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program, outcome);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const outcome: Outcome = { code: ExitCode.OK };
  const program = buildProgram(outcome);
  try {
    await program.parseAsync(argv);
    return outcome.code;
  } catch (e) {
    return exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // --help and --version end through here with code 0.
    return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
  if (e instanceof ExitError) {
    if (e.message) process.stderr.write(`cyrus-fsck: ${e.message}\n`);
    return e.exitCode;
  }
  process.stderr.write(
    `cyrus-fsck: internal error, please report it with the command you ran:\n${(e as Error)?.stack ?? e}\n`,
  );
  return ExitCode.OPERATIONAL;
}
