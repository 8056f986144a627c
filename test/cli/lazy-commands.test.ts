// The top-level --help lists every command from the table in commands/index.ts without loading
// the modules; the table must say what each module declares, and a run loads only its command.
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { runCli } from '../helpers/cli.js';

describe('lazily loaded commands', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s: the table matches the module', async (_name, entry) => {
    const program = new Command('t');
    (await entry.load()).register(program, { code: 0 });
    const cmd = program.commands.find((c) => c.name() === entry.name);
    expect(cmd).toBeDefined();
    expect(cmd!.summary()).toBe(entry.summary);
    expect(new Help().subcommandTerm(cmd!)).toBe(entry.term);
  });

  it('--help lists every command with its summary', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    const out = r.stdout.replace(/\s+/g, ' ');
    for (const c of COMMANDS) expect(out).toContain(`${c.term} ${c.summary.split(' ')[0]}`);
  });

  it('a command run through `help <name>` shows that module\'s own help', () => {
    const r = runCli(['help', 'crc']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: cyrus-fsck crc \[options\] \[mailbox\.\.\.\]/);
    expect(r.stdout).toContain('--algorithm');
  });
});
