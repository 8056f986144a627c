// Entry point: wires commands to actions and maps errors to fsck(8) exit codes.
// Commands live in ./commands/<name>.ts; each exports `register(program)`; actions return an
// exit code rather than calling process.exit, so tests can call them directly.
import { Command, CommanderError, Help } from 'commander';
import { ExitCode, ExitError } from '../errors.js';
import { VERSION } from '../version.js';
import { COMMANDS, type CommandEntry } from './commands/index.js';

/** Where a command's action leaves its exit code. */
export interface Outcome {
  code: number;
}

/**
 * The command `argv` runs: its first operand (the root takes no option with a value), or the
 * operand after `help`. Undefined for the top-level --help/--version or an unknown name.
 */
function selectedCommand(argv: readonly string[]): CommandEntry | undefined {
  const operands = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return COMMANDS.find((c) => c.name === name);
}

/**
 * The program with every command listed; only the command `argv` selects is loaded and fully
 * registered (the others are placeholders carrying their help line), so one run imports one
 * command's modules. Without `argv` every command is loaded.
 */
export async function buildProgram(outcome: Outcome = { code: ExitCode.OK }, argv?: readonly string[]): Promise<Command> {
  const selected = argv ? selectedCommand(argv) : undefined;
  const loaded = new Map<string, CommandEntry['load'] extends () => Promise<infer M> ? M : never>();
  await Promise.all(
    COMMANDS.filter((c) => !argv || c === selected).map(async (c) => loaded.set(c.name, await c.load())),
  );
  const placeholderTerms = new Map<Command, string>();
  const defaultHelp = new Help();
  const program = new Command('cyrus-fsck')
    .version(VERSION)
    .description(
      'Integrity check and replication-safe repair for Cyrus IMAP mail spools.\n' +
        'Run it as the Cyrus user (usually `cyrus`). Exit codes follow fsck(8):\n' +
        '  0 clean · 1 repaired · 4 problems left · 8 operational error · 16 usage · 32 interrupted',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ subcommandTerm: (cmd) => placeholderTerms.get(cmd) ?? defaultHelp.subcommandTerm(cmd) })
    .exitOverride();
  for (const c of COMMANDS) {
    const mod = loaded.get(c.name);
    if (mod) mod.register(program, outcome);
    else placeholderTerms.set(program.command(c.name).summary(c.summary), c.term);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const outcome: Outcome = { code: ExitCode.OK };
  try {
    const program = await buildProgram(outcome, argv);
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
