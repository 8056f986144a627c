// imapd.conf as Cyrus 3.6 reads it (lib/libconfig.c config_read_file, config_read) with typed
// accessors and the 3.6.1 defaults of lib/imapoptions for the options cyrus-fsck needs.
//
// Syntax (Cyrus's rules): a line ending in a backslash continues on the next line (backslash and
// LF removed, nothing else); leading whitespace is skipped; a line starting with '#' (after that
// whitespace) is a comment; otherwise `key: value`, where key is [@]?[A-Za-z0-9_-]* (lower-cased)
// and value is trimmed and must not be empty. `@include: file` reads another file (relative paths
// relative to the working directory, as Cyrus's fopen). Every key may appear once.
import { readFileSync } from 'node:fs';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG';
  constructor(
    message: string,
    readonly file: string,
    /** 1-based line where the offending option starts (0: the file as a whole). */
    readonly line: number,
  ) {
    super(line ? `${file}:${line}: ${message}` : `${file}: ${message}`);
  }
}

interface Entry {
  value: string;
  file: string;
  line: number;
}

type OptionSpec =
  | { type: 'string'; def: string | null }
  | { type: 'switch'; def: boolean }
  | { type: 'enum' | 'stringlist'; def: string; values: readonly string[] }
  | { type: 'bitfield'; def: string; values: readonly string[] };

const DB_BACKENDS = ['flat', 'skiplist', 'sql', 'twoskip', 'zeroskip', 'quotalegacy'] as const;
export const META_FILE_KINDS = ['header', 'index', 'cache', 'expunge', 'squat', 'annotations', 'lock', 'dav', 'archivecache'] as const;
export type MetaFileKind = (typeof META_FILE_KINDS)[number];

/** The options we interpret, with Cyrus 3.6.1 types and defaults (lib/imapoptions). */
const OPTIONS = {
  configdirectory: { type: 'string', def: null },
  defaultpartition: { type: 'string', def: null },
  defaultdomain: { type: 'string', def: 'internal' },
  deletedprefix: { type: 'string', def: 'DELETED' },
  metapartition_files: { type: 'bitfield', def: '', values: META_FILE_KINDS },
  archive_enabled: { type: 'switch', def: false },
  hashimapspool: { type: 'switch', def: false },
  fulldirhash: { type: 'switch', def: false },
  virtdomains: { type: 'enum', def: 'off', values: ['off', 'userid', 'on'] },
  unixhierarchysep: { type: 'switch', def: true },
  altnamespace: { type: 'switch', def: true },
  mailbox_legacy_dirs: { type: 'switch', def: false },
  mboxlist_db: { type: 'stringlist', def: 'twoskip', values: ['flat', 'skiplist', 'sql', 'twoskip', 'zeroskip'] },
  seenstate_db: { type: 'stringlist', def: 'twoskip', values: ['flat', 'skiplist', 'twoskip', 'zeroskip'] },
  annotation_db: { type: 'stringlist', def: 'twoskip', values: ['skiplist', 'twoskip', 'zeroskip'] },
  subscription_db: { type: 'stringlist', def: 'flat', values: ['flat', 'skiplist', 'twoskip', 'zeroskip'] },
  quota_db: { type: 'stringlist', def: 'quotalegacy', values: DB_BACKENDS },
  mboxname_lockpath: { type: 'string', def: null },
  sync_log: { type: 'switch', def: false },
  sync_log_channels: { type: 'string', def: null },
  sync_log_unsuppressable_channels: { type: 'string', def: 'squatter' },
  sync_host: { type: 'string', def: null },
  sync_port: { type: 'string', def: null },
  sync_authname: { type: 'string', def: null },
  sync_password: { type: 'string', def: null },
  sync_realm: { type: 'string', def: null },
  delete_mode: { type: 'enum', def: 'delayed', values: ['immediate', 'delayed'] },
  expunge_mode: { type: 'enum', def: 'delayed', values: ['immediate', 'semidelayed', 'delayed'] },
} as const satisfies Record<string, OptionSpec>;

type Opts = typeof OPTIONS;
export type KnownOption = keyof Opts;
export const KNOWN_OPTIONS = Object.keys(OPTIONS) as KnownOption[];
export type StringOption = { [K in keyof Opts]: Opts[K]['type'] extends 'string' ? K : never }[keyof Opts];
export type SwitchOption = { [K in keyof Opts]: Opts[K]['type'] extends 'switch' ? K : never }[keyof Opts];
export type SyncSetting = 'sync_host' | 'sync_port' | 'sync_authname' | 'sync_password' | 'sync_realm';

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
const isKeyChar = (c: string) => /[A-Za-z0-9_-]/.test(c);

/** Cyrus config_parse_switch: looks only at the first one or two characters. */
export function parseSwitch(v: string): boolean | null {
  if (v[0] === '0' || v[0] === 'n' || v.startsWith('of') || v[0] === 'f') return false;
  if (v[0] === '1' || v[0] === 'y' || v.startsWith('on') || v[0] === 't') return true;
  return null;
}

/** Cyrus normalises on/off-like spellings for ENUM options before matching. */
function normaliseEnum(v: string): string {
  if (['1', 'yes', 't', 'true'].includes(v)) return 'on';
  if (['0', 'no', 'f', 'false'].includes(v)) return 'off';
  return v;
}

function validate(key: string, value: string, file: string, line: number): void {
  const spec = (OPTIONS as Record<string, OptionSpec>)[key];
  if (!spec) return;
  const bad = (what: string) => new ConfigError(`${what} for ${key}: '${value}'`, file, line);
  switch (spec.type) {
    case 'switch':
      if (parseSwitch(value) === null) throw bad('non-switch value');
      break;
    case 'enum':
      if (!spec.values.includes(normaliseEnum(value))) throw bad('invalid value');
      break;
    case 'stringlist':
      if (!spec.values.includes(value)) throw bad('invalid value');
      break;
    case 'bitfield':
      for (const w of value.split(/[ \t\r\n\v\f]+/).filter(Boolean)) if (!spec.values.includes(w)) throw bad(`invalid value '${w}'`);
      break;
    case 'string':
      if (key === 'defaultpartition' && !/^[A-Za-z0-9]+$/.test(value)) throw bad('non-alnum character');
      break;
  }
}

/** Reads included files; the default reads from disk. */
export type IncludeReader = (path: string) => string;
const readFromDisk: IncludeReader = (p) => readFileSync(p, 'latin1');

function parseInto(text: string, file: string, entries: Map<string, Entry>, include: IncludeReader, included: Set<string>): void {
  if (included.has(file)) throw new ConfigError(`configuration file ${file} included twice`, file, 0);
  included.add(file);
  const physical = text.split('\n');
  // A final line without LF is still a line; a trailing empty string after the last LF is not.
  const hadFinalLf = text.endsWith('\n');
  if (hadFinalLf) physical.pop();
  const endsWithLf = (k: number) => k < physical.length - 1 || hadFinalLf;
  let i = 0;
  while (i < physical.length) {
    const start = i + 1;
    let logical = physical[i]!;
    let truncated = false;
    // continuation: a backslash right before the LF joins the next physical line
    while (logical.endsWith('\\') && endsWithLf(i)) {
      logical = logical.slice(0, -1);
      if (++i >= physical.length) {
        truncated = true; // Cyrus hits EOF while gathering and never processes the line
        break;
      }
      logical += physical[i]!;
    }
    i++;
    if (truncated) break;
    let p = 0;
    while (p < logical.length && isSpace(logical[p]!)) p++;
    if (p === logical.length || logical[p] === '#') continue;
    const keyStart = p;
    if (logical[p] === '@') p++;
    while (p < logical.length && isKeyChar(logical[p]!)) p++;
    if (logical[p] !== ':') throw new ConfigError('invalid option name', file, start);
    const key = logical.slice(keyStart, p).toLowerCase();
    let value = logical.slice(p + 1);
    let a = 0;
    let b = value.length;
    while (a < b && isSpace(value[a]!)) a++;
    while (b > a && isSpace(value[b - 1]!)) b--;
    value = value.slice(a, b);
    if (!value) throw new ConfigError(`empty option value for ${key}`, file, start);
    if (key.startsWith('@')) {
      if (key !== '@include') throw new ConfigError(`invalid directive ${key}`, file, start);
      let body: string;
      try {
        body = include(value);
      } catch (e) {
        throw new ConfigError(`can't read included file ${value}: ${(e as Error).message}`, file, start);
      }
      parseInto(body, value, entries, include, included);
      continue;
    }
    const prev = entries.get(key);
    if (prev) throw new ConfigError(`option '${key}' was specified twice (first at ${prev.file}:${prev.line})`, file, start);
    validate(key, value, file, start);
    entries.set(key, { value, file, line: start });
  }
}

/** Parses imapd.conf text. `file` names it in errors; `include` reads @include files. */
export function parseImapdConf(text: string, file = 'imapd.conf', include: IncludeReader = readFromDisk): ImapdConf {
  const entries = new Map<string, Entry>();
  parseInto(text, file, entries, include, new Set());
  const conf = new ImapdConf(file, entries);
  if (!entries.has('configdirectory')) throw new ConfigError('configdirectory option not specified', file, 0);
  return conf;
}

/** Reads and parses an imapd.conf file (and its @include files) from disk. */
export function loadImapdConf(path: string): ImapdConf {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    throw new ConfigError(`can't open configuration file: ${(e as Error).message}`, path, 0);
  }
  return parseImapdConf(text, path);
}

/** A parsed imapd.conf. Accessors return Cyrus 3.6.1's default when an option is absent. */
export class ImapdConf {
  constructor(
    readonly file: string,
    private readonly entries: ReadonlyMap<string, Entry>,
  ) {}

  /** The raw value of any key (lower-case), e.g. `partition-default`; undefined if absent. */
  raw(key: string): string | undefined {
    return this.entries.get(key.toLowerCase())?.value;
  }

  /** The value of a key exactly as spelled (Cyrus's overflow lookups are case-sensitive). */
  rawExact(key: string): string | undefined {
    return this.entries.get(key)?.value;
  }

  /** Where a key was set: for messages that point the admin at the right line. */
  where(key: string): { file: string; line: number } | undefined {
    const e = this.entries.get(key.toLowerCase());
    return e && { file: e.file, line: e.line };
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** A known string option; `{configdirectory}` at the start is replaced, as config_read does. */
  string(key: StringOption): string | undefined {
    const v = this.raw(key) ?? OPTIONS[key].def ?? undefined;
    if (v === undefined || key === 'configdirectory') return v;
    if (v.slice(0, 17).toLowerCase() === '{configdirectory}') return this.configDirectory + v.slice(17);
    return v;
  }

  switch(key: SwitchOption): boolean {
    const v = this.raw(key);
    return v === undefined ? OPTIONS[key].def : parseSwitch(v)!;
  }

  /** The effective value of a modelled option, default applied: switches as booleans, bitfields
   * as their words in Cyrus's enum order, absent strings as null. */
  effective(key: KnownOption): string | boolean | null {
    const spec: OptionSpec = OPTIONS[key];
    switch (spec.type) {
      case 'switch':
        return this.switch(key as SwitchOption);
      case 'string':
        return this.string(key as StringOption) ?? null;
      case 'enum':
        return normaliseEnum(this.raw(key) ?? spec.def);
      case 'stringlist':
        return this.raw(key) ?? spec.def;
      case 'bitfield': {
        const words = new Set((this.raw(key) ?? spec.def).split(/[ \t\r\n\v\f]+/));
        return spec.values.filter((v) => words.has(v)).join(' ');
      }
    }
  }

  get configDirectory(): string {
    return this.raw('configdirectory')!;
  }
  get defaultPartition(): string | undefined {
    return this.string('defaultpartition')?.toLowerCase();
  }
  get defaultDomain(): string {
    return this.string('defaultdomain')!;
  }
  get deletedPrefix(): string {
    return this.string('deletedprefix')!;
  }
  get hashImapSpool(): boolean {
    return this.switch('hashimapspool');
  }
  get fullDirHash(): boolean {
    return this.switch('fulldirhash');
  }
  get virtDomains(): 'off' | 'userid' | 'on' {
    return normaliseEnum(this.raw('virtdomains') ?? 'off') as 'off' | 'userid' | 'on';
  }
  get unixHierarchySep(): boolean {
    return this.switch('unixhierarchysep');
  }
  get altNamespace(): boolean {
    return this.switch('altnamespace');
  }
  get mailboxLegacyDirs(): boolean {
    return this.switch('mailbox_legacy_dirs');
  }
  get archiveEnabled(): boolean {
    return this.switch('archive_enabled');
  }
  get deleteMode(): 'immediate' | 'delayed' {
    return normaliseEnum(this.raw('delete_mode') ?? 'delayed') as 'immediate' | 'delayed';
  }
  get expungeMode(): 'immediate' | 'semidelayed' | 'delayed' {
    return normaliseEnum(this.raw('expunge_mode') ?? 'delayed') as 'immediate' | 'semidelayed' | 'delayed';
  }
  get mboxlistDb(): string {
    return this.raw('mboxlist_db') ?? OPTIONS.mboxlist_db.def;
  }
  get seenstateDb(): string {
    return this.raw('seenstate_db') ?? OPTIONS.seenstate_db.def;
  }
  get annotationDb(): string {
    return this.raw('annotation_db') ?? OPTIONS.annotation_db.def;
  }
  get subscriptionDb(): string {
    return this.raw('subscription_db') ?? OPTIONS.subscription_db.def;
  }
  /** mboxname_lockpath if set, else undefined (Cyrus then uses {configdirectory}/lock). */
  get mboxnameLockpath(): string | undefined {
    return this.string('mboxname_lockpath');
  }
  get metapartitionFiles(): ReadonlySet<MetaFileKind> {
    const v = this.raw('metapartition_files') ?? '';
    return new Set(v.split(/[ \t\r\n\v\f]+/).filter(Boolean) as MetaFileKind[]);
  }

  /** `partition-<name>` (Cyrus config_partitiondir; names ≥ 70 chars overflow its buffer). */
  partitionDir(name: string): string | undefined {
    return overflowDir(this, 'partition-', name);
  }
  metapartitionDir(name: string): string | undefined {
    return overflowDir(this, 'metapartition-', name);
  }
  /** `archivepartition-<name>`, only when archive_enabled (config_archivepartitiondir). */
  archivepartitionDir(name: string): string | undefined {
    return this.archiveEnabled ? overflowDir(this, 'archivepartition-', name) : undefined;
  }
  /** Every configured spool partition: name → root. */
  partitions(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, e] of this.entries) if (k.startsWith('partition-')) m.set(k.slice('partition-'.length), e.value);
    return m;
  }

  get syncLog(): boolean {
    return this.switch('sync_log');
  }
  /**
   * The channels sync_log writes to (sync_log_init): null = the default channel. Without
   * sync_log_channels that is just [null]; `""` in the list also means the default channel.
   */
  get syncLogChannels(): Array<string | null> {
    const v = this.string('sync_log_channels') ?? '""';
    return v
      .split(' ')
      .filter(Boolean)
      .map((c) => (c === '""' ? null : c));
  }
  /** sync_get_config: `<channel>_<setting>` first, then the plain setting. */
  sync(setting: SyncSetting, channel?: string | null): string | undefined {
    if (channel) {
      const v = this.raw(`${channel}_${setting}`);
      if (v !== undefined) return v;
    }
    return this.string(setting);
  }
}

function overflowDir(conf: ImapdConf, prefix: string, name: string): string | undefined {
  if ((prefix + name).length >= 80) return undefined;
  // Keys were lower-cased when read, the lookup is not: a partition named `Big` is never found
  // (as in Cyrus 3.6.1: mbpath -j prints no data path for it, plain mbpath crashes)
  return conf.rawExact(prefix + name);
}
