// Runs the built CLI (npm test builds first) as a user would: a separate process, real exit code.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'cyrus-fsck.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    input: opts.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function runCliJson<T = any>(args: string[]): { code: number; json: T; stderr: string } {
  const r = runCli([...args, '--json']);
  return { code: r.code, json: JSON.parse(r.stdout) as T, stderr: r.stderr };
}
