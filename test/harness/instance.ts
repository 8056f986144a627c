// A private Cyrus 3.6 instance in a temporary folder: its own imapd.conf and cyrus.conf, imap,
// lmtp (and optionally sync_server) on free 127.0.0.1 ports, a sasldb with the instance's
// servername as realm, and every syslog line of master, its children and the tools we run
// captured to a file by an LD_PRELOAD shim (these machines have no syslog daemon).
// Stopping kills only the processes this instance started, by pid, and removes the folder.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CYRUS_BIN, which } from './env.js';
import { ImapClient } from './imap.js';
import { lmtpDeliver, type LmtpReply } from './lmtp.js';

export const ADMIN = 'admin';
/** Every sasldb login of a test instance uses this password. */
export const PASSWORD = 'cyrus-fsck-test';

const SHIM_SOURCE = resolve(import.meta.dirname, 'syslog-shim.c');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface InstanceOptions {
  /** Prefix of the servername (which is also the SASL realm); a counter makes it unique. */
  name?: string;
  /** Logins to create besides admin. */
  users?: string[];
  /** Run a sync_server service (this instance is a replica). */
  syncServer?: boolean;
  /** Make this instance a replication master pushing to this replica (sync_client settings). */
  syncTo?: CyrusInstance;
  /** Let Cyrus really fsync (default: the shim makes fsync a no-op, see syslog-shim.c). */
  fsync?: boolean;
  /** Extra imapd.conf lines (key → value), e.g. { expunge_mode: 'immediate' }. */
  conf?: Record<string, string>;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (tools print 8-bit cache contents; byte counts matter when parsing). */
  stdoutBytes: Buffer;
}

export class ToolError extends Error {
  constructor(
    readonly argv: string[],
    readonly result: ToolResult,
    syslogTail: string[],
  ) {
    super(
      `${argv.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}\n` +
        `syslog tail:\n${syslogTail.join('\n')}`,
    );
  }
}

let instanceCounter = 0;
const live = new Set<CyrusInstance>();

// Last resort when a test process exits without afterAll: SIGKILL our instances' processes by
// pid. When it dies by a signal instead, the shim's parent-death signal stops master (and master
// its children). No signal handlers here: tests may send themselves SIGINT to test the CLI.
process.once('exit', () => {
  for (const inst of live) inst.killNow();
});

/** uid and primary gid of user cyrus (gid: group mail on Debian). */
export function cyrusIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'cyrus']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'cyrus']).toString().trim());
  return { uid, gid };
}

/** Distinct free loopback ports (held open together so they differ, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<import('node:net').Server>((res, rej) => {
        const s = createServer();
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => res(s));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

/** pids of all descendants of `pid`, from /proc (children first found, grandchildren after). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(e), ppid);
    } catch {
      // process ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, pp] of parent) if (pp === p) (out.push(child), queue.push(child));
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0); count it as gone.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CyrusInstance {
  readonly servername: string;
  readonly conf: string;
  readonly cyrusConf: string;
  readonly configDir: string;
  readonly spool: string;
  readonly syslogPath: string;
  readonly shim: string;
  ports: { imap: number; lmtp: number; sync?: number } = { imap: 0, lmtp: 0 };
  private master?: ChildProcess;
  private masterPid?: number;
  private knownPids = new Set<number>();
  private stopped = false;
  private readonly ids = cyrusIds();

  private constructor(
    readonly dir: string,
    private readonly opts: InstanceOptions,
  ) {
    this.servername = `${opts.name ?? 'fsck'}${process.pid}n${++instanceCounter}`;
    this.conf = join(dir, 'imapd.conf');
    this.cyrusConf = join(dir, 'cyrus.conf');
    this.configDir = join(dir, 'conf');
    this.spool = join(dir, 'spool');
    this.syslogPath = join(dir, 'syslog');
    this.shim = join(dir, 'syslog-shim.so');
  }

  /** Creates the folder, configuration, logins and starts master; resolves when imap answers. */
  static async start(opts: InstanceOptions = {}): Promise<CyrusInstance> {
    // A free port can be taken by a parallel test file between our probe and master's bind:
    // start again with fresh ports (and folder) rather than fail.
    const errors: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'cyrus-fsck-lab-'));
      const inst = new CyrusInstance(dir, opts);
      live.add(inst);
      try {
        await inst.setUp();
        await inst.launch();
        return inst;
      } catch (e) {
        errors.push(`attempt ${attempt}: ${(e as Error).message}`);
        await inst.stop({ keep: process.env.CYRUS_FSCK_KEEP === '1' });
      }
    }
    throw new Error(`could not start a Cyrus instance:\n${errors.join('\n')}`);
  }

  /** A replication pair: the replica runs sync_server, the master's sync_client pushes to it. */
  static async startPair(opts: InstanceOptions = {}): Promise<{ master: CyrusInstance; replica: CyrusInstance }> {
    const replica = await CyrusInstance.start({ ...opts, name: `${opts.name ?? 'fsck'}r`, syncServer: true });
    try {
      const master = await CyrusInstance.start({ ...opts, name: `${opts.name ?? 'fsck'}m`, syncTo: replica });
      return { master, replica };
    } catch (e) {
      await replica.stop();
      throw e;
    }
  }

  private async setUp(): Promise<void> {
    const d = this.dir;
    for (const sub of ['conf', 'conf/db', 'conf/user', 'conf/quota', 'conf/sieve', 'conf/log', 'conf/msg', 'conf/ptclient', 'conf/sync', 'conf/socket', 'spool', 'lock', 'proc', 'socket']) {
      mkdirSync(join(d, sub), { recursive: true });
    }
    const [imap, lmtp, sync] = await freePorts(3);
    this.ports = { imap: imap!, lmtp: lmtp!, ...(this.opts.syncServer ? { sync: sync! } : {}) };

    const conf: Record<string, string> = {
      configdirectory: this.configDir,
      defaultpartition: 'default',
      'partition-default': this.spool,
      mboxname_lockpath: join(d, 'lock'),
      proc_path: join(d, 'proc'),
      lmtpsocket: join(d, 'socket', 'lmtp'),
      idlesocket: join(d, 'socket', 'idle'),
      notifysocket: join(d, 'socket', 'notify'),
      servername: this.servername,
      admins: ADMIN,
      allowplaintext: 'yes',
      sasl_pwcheck_method: 'auxprop',
      sasl_auxprop_plugin: 'sasldb',
      sasl_sasldb_path: join(d, 'sasldb2'),
      sasl_mech_list: 'PLAIN LOGIN',
      // Fixed namespace so IMAP names are predictable: owner sees INBOX, INBOX.Sub; admin user.x.Sub.
      altnamespace: 'no',
      unixhierarchysep: 'no',
      hashimapspool: 'true',
      // Keep expunged records and deleted mailboxes on disk, as production servers do.
      expunge_mode: 'delayed',
      delete_mode: 'delayed',
      lmtp_downcase_rcpt: 'yes',
      // SETANNOTATION/GETANNOTATION (ANNOTATEMORE draft) answer "Permission denied" without it.
      annotation_enable_legacy_commands: 'yes',
      syslog_prefix: this.servername,
    };
    if (this.opts.syncTo) {
      const replica = this.opts.syncTo;
      Object.assign(conf, {
        sync_host: '127.0.0.1',
        sync_port: String(replica.ports.sync),
        sync_authname: ADMIN,
        sync_password: PASSWORD,
        sync_log: '1',
        // sync_client would first try IMAP on the sync port, fail, and wait 10 s before csync.
        sync_try_imap: 'no',
      });
    }
    Object.assign(conf, this.opts.conf ?? {});
    writeFileSync(this.conf, Object.entries(conf).map(([k, v]) => `${k}: ${v}\n`).join(''));

    const c = `-C ${this.conf}`;
    const services = [
      `  imap cmd="${CYRUS_BIN}/imapd ${c}" listen="127.0.0.1:${this.ports.imap}" prefork=0 maxchild=20`,
      `  lmtp cmd="${CYRUS_BIN}/lmtpd ${c} -a" listen="127.0.0.1:${this.ports.lmtp}" prefork=0 maxchild=10`,
    ];
    if (this.ports.sync) {
      services.push(`  syncserver cmd="${CYRUS_BIN}/sync_server ${c}" listen="127.0.0.1:${this.ports.sync}" prefork=0 maxchild=5`);
    }
    writeFileSync(
      this.cyrusConf,
      `START {\n  recover cmd="${CYRUS_BIN}/ctl_cyrusdb ${c} -r"\n}\n` +
        `SERVICES {\n${services.join('\n')}\n}\n` +
        // idled under DAEMON stays master's child (under START it forks away from master and
        // could outlive a killed master); without it imapd logs an error on every change.
        `DAEMON {\n  idled cmd="${CYRUS_BIN}/idled ${c}"\n}\n` +
        `EVENTS {\n  checkpoint cmd="${CYRUS_BIN}/ctl_cyrusdb ${c} -c" period=30\n}\n`,
    );

    const cc = which('cc') ?? which('gcc');
    if (!cc) throw new Error('no C compiler for the syslog shim');
    execFileSync(cc, ['-shared', '-fPIC', '-O2', '-o', this.shim, SHIM_SOURCE], { stdio: 'pipe' });
    writeFileSync(this.syslogPath, '', { mode: 0o666 });

    for (const user of [ADMIN, ...(this.opts.users ?? [])]) this.saslpasswd(user);
    chownTree(d, this.ids.uid, this.ids.gid);
  }

  private saslpasswd(user: string): void {
    execFileSync(which('saslpasswd2')!, ['-f', join(this.dir, 'sasldb2'), '-u', this.servername, '-c', '-p', user], {
      input: PASSWORD,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Adds a SASL login (usable while running). */
  addLogin(user: string): void {
    this.saslpasswd(user);
    chownSync(join(this.dir, 'sasldb2'), this.ids.uid, this.ids.gid);
  }

  /** Environment that makes a Cyrus process log through the shim into this instance's file. */
  get shimEnv(): Record<string, string> {
    return {
      // Dates without a zone are read in local time; pin it so results do not depend on the host.
      TZ: 'UTC',
      CYRUS_FSCK_SYSLOG: this.syslogPath,
      LD_PRELOAD: this.shim,
      ...(this.opts.fsync ? {} : { CYRUS_FSCK_NOFSYNC: '1' }),
      // Cyrus processes die with their parent: no orphaned master even if a test process is killed.
      CYRUS_FSCK_PDEATHSIG: '1',
    };
  }

  private async launch(): Promise<void> {
    const out = openSync(join(this.dir, 'master.out'), 'a');
    const master = spawn(
      `${CYRUS_BIN}/master`,
      ['-C', this.conf, '-M', this.cyrusConf, '-p', join(this.dir, 'master.pid')],
      // detached: a process group of its own. Without -d, master shuts down with kill(0, SIGTERM)
      // (master.c begin_shutdown), which would also stop every other instance in our group.
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...this.shimEnv }, stdio: ['ignore', out, out], detached: true },
    );
    closeSync(out);
    master.unref();
    this.master = master;
    this.masterPid = master.pid;
    if (master.pid) this.knownPids.add(master.pid);
    let exited: string | undefined;
    master.once('exit', (code, sig) => (exited = `master exited (${code ?? sig})`));

    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`${exited} while starting:\n${this.startupReport()}`);
      if (this.syslog().some((l) => l.includes(`master[${master.pid}]`) && l.includes('ready for work'))) {
        if (await this.portAnswers(this.ports.imap)) return;
      }
      if (Date.now() > deadline) throw new Error(`Cyrus did not start within ${START_TIMEOUT_MS} ms:\n${this.startupReport()}`);
      await sleep(50);
    }
  }

  private startupReport(): string {
    let out = '';
    try {
      out = readFileSync(join(this.dir, 'master.out'), 'utf8');
    } catch {
      // no output file
    }
    return `master output:\n${out}\nsyslog:\n${this.syslog().slice(-30).join('\n')}`;
  }

  private portAnswers(port: number): Promise<boolean> {
    return new Promise((res) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
    });
  }

  /** Every line Cyrus logged so far: "<time> <ident>[<pid>]: <level>: <message>". */
  syslog(): string[] {
    try {
      return readFileSync(this.syslogPath, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** A connected IMAP client: logged in as admin, or as admin authorized as `asUser`. */
  async imap(asUser?: string): Promise<ImapClient> {
    const c = await ImapClient.connect(this.ports.imap);
    try {
      await c.authenticatePlain(ADMIN, PASSWORD, asUser ?? '');
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Runs `fn` with an IMAP session and always logs out. */
  async withImap<T>(asUser: string | undefined, fn: (c: ImapClient) => Promise<T>): Promise<T> {
    const c = await this.imap(asUser);
    try {
      return await fn(c);
    } finally {
      await c.logout();
    }
  }

  /** LMTP delivery; throws unless every recipient got a 2xx. */
  async deliver(recipients: string[], message: Buffer): Promise<LmtpReply[]> {
    const replies = await lmtpDeliver(this.ports.lmtp, recipients, message);
    const bad = replies.find((r) => r.code >= 300);
    if (bad) throw new Error(`LMTP delivery refused: ${bad.code} ${bad.lines.join(' ')}`);
    return replies;
  }

  /**
   * Runs a Cyrus command-line tool as user cyrus with this instance's -C and syslog shim.
   * Throws ToolError on a non-zero exit unless `allowFail`.
   */
  async tool(name: string, args: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<ToolResult> {
    const argv = [`${CYRUS_BIN}/${name}`, '-C', this.conf, ...args];
    const result = await runProcess(argv, {
      timeoutMs: opts.timeoutMs ?? 120_000,
      asCyrus: this.ids,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...this.shimEnv },
    });
    if (result.code !== 0 && !opts.allowFail) throw new ToolError(argv, result, this.syslog().slice(-20));
    return result;
  }

  /** Stops master and its children by pid (SIGTERM, then SIGKILL), removes the folder. */
  async stop(opts: { keep?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.halt();
    live.delete(this);
    const keep = opts.keep ?? process.env.CYRUS_FSCK_KEEP === '1';
    if (keep) console.warn(`cyrus-fsck: kept instance folder ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Stops master (as stop() does) and starts it again on the same folder and ports: for tests
   * that change files while Cyrus is down, or that need Cyrus to reopen everything.
   */
  async restart(): Promise<void> {
    if (this.stopped) throw new Error('restart() after stop()');
    await this.halt();
    await this.launch();
  }

  /** SIGTERM to master (clean shutdown of its children), then SIGKILL whatever is left. */
  private async halt(): Promise<void> {
    const pid = this.masterPid;
    if (pid && alive(pid)) {
      for (const d of descendants(pid)) this.knownPids.add(d);
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (alive(pid) && Date.now() < deadline) {
        for (const d of descendants(pid)) this.knownPids.add(d);
        await sleep(50);
      }
    }
    this.killNow();
    const deadline = Date.now() + 5_000;
    while ([...this.knownPids].some(alive) && Date.now() < deadline) await sleep(50);
    this.knownPids.clear();
    this.masterPid = undefined;
  }

  /** Synchronous SIGKILL of every process of this instance still running. */
  killNow(): void {
    const pid = this.masterPid;
    if (pid && alive(pid)) for (const d of descendants(pid)) this.knownPids.add(d);
    for (const p of this.knownPids) {
      // Only a live process whose command line names this instance's imapd.conf: a pid that
      // was reused by an unrelated process in the meantime is left alone.
      if (!alive(p) || !this.isOurs(p)) continue;
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private isOurs(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(this.conf);
    } catch {
      return false;
    }
  }

  /** True while master runs. */
  get running(): boolean {
    return !!this.masterPid && alive(this.masterPid) && !this.stopped;
  }

  /** Path to a file inside the instance's configdirectory. */
  configPath(...parts: string[]): string {
    return join(this.configDir, ...parts);
  }

  get exists(): boolean {
    return existsSync(this.dir);
  }

  /** The pid of master (for tests that look at processes). */
  get pid(): number | undefined {
    return this.master?.pid;
  }
}

/**
 * Runs a command to completion, with a timeout that kills it by its pid. `asCyrus` runs it with
 * the cyrus uid/gid (what `runuser -u cyrus` does, minus PAM, and without an extra process
 * between us and the tool).
 */
export function runProcess(
  argv: string[],
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; asCyrus?: { uid: number; gid: number }; input?: Buffer },
): Promise<ToolResult> {
  const timeoutMs = opts.timeoutMs;
  return new Promise((resolveRun, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      ...(opts.asCyrus ?? {}),
    });
    if (opts.input) child.stdin!.end(opts.input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolveRun({
        code: code ?? 128 + (sig === 'SIGKILL' ? 9 : 15),
        stdoutBytes,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}
