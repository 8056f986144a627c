// imapd.conf parsing: compared with what Cyrus 3.6.1 itself reads (`cyr_info -C <conf> conf-all`
// prints every option's effective value), plus Cyrus's error cases.
import { spawnSync } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, KNOWN_OPTIONS, parseImapdConf, type ImapdConf } from '../../src/config/imapd-conf.js';
import { CYRUS_BIN, haveCyrus, scratch, type Scratch } from '../db/cyrus-tool.js';

const CASES: Record<string, (dir: string) => string> = {
  minimal: (d) => `configdirectory: ${d}/conf\npartition-default: ${d}/spool\n`,
  tricky: (d) =>
    [
      '# a comment',
      `configdirectory: ${d}/conf`,
      `  partition-default:   ${d}/spool   `,
      'partition-Other: /x/\\',
      'y/z',
      'HashImapSpool: yes',
      'fulldirhash: 1',
      'virtdomains: yes',
      'metapartition_files: index   header',
      'metapartition-default: /meta',
      'mboxname_lockpath: {configdirectory}/locks',
      'sync_log_channels: "" squat',
      'chan_sync_host: h2',
      'unixhierarchysep: off',
      '   # indented comment',
      'delete_mode: immediate',
      'expunge_mode: semidelayed',
      'altnamespace: false',
      'sync_log: true',
      'seenstate_db: skiplist',
      'defaultpartition: Default',
      'deletedprefix: #deleted',
      'last: no final newline',
    ].join('\n'),
  'comment swallows next line': (d) => `configdirectory: ${d}/conf\n# comment \\\nhashimapspool: yes\npartition-default: ${d}/spool\n`,
  '@include': (d) => {
    writeFileSync(`${d}/included.conf`, `partition-second: ${d}/p2\nsync_log: on\n`);
    return `configdirectory: ${d}/conf\n@Include:   ${d}/included.conf\npartition-default: ${d}/spool\n`;
  },
  'crlf and tabs': (d) => `configdirectory:\t${d}/conf\r\npartition-default: ${d}/spool\r\nvirtdomains: userid\r\nfulldirhash: on\r\n`,
};

const ERRORS: Record<string, (dir: string) => [string, number]> = {
  'duplicate option': (d) => [`configdirectory: ${d}/conf\npartition-default: /a\npartition-default: /b\n`, 3],
  'duplicate known option in other case': (d) => [`configdirectory: ${d}/conf\nfulldirhash: 1\nFullDirHash: 0\n`, 3],
  'no colon': (d) => [`configdirectory: ${d}/conf\nthis is not an option\n`, 2],
  'empty value': (d) => [`configdirectory: ${d}/conf\nsync_host:   \n`, 2],
  'bad switch': (d) => [`configdirectory: ${d}/conf\nhashimapspool: maybe\n`, 2],
  'bad enum': (d) => [`configdirectory: ${d}/conf\nvirtdomains: sometimes\n`, 2],
  'bad bitfield word': (d) => [`configdirectory: ${d}/conf\nmetapartition_files: header bogus\n`, 2],
  'bad directive': (d) => [`configdirectory: ${d}/conf\n@frobnicate: x\n`, 2],
  'no configdirectory': () => [`partition-default: /x\n`, 0],
};

/** Our effective values in cyr_info's spelling. */
function ours(conf: ImapdConf): Map<string, string> {
  const m = new Map<string, string>();
  for (const k of KNOWN_OPTIONS) {
    const v = conf.effective(k);
    m.set(k, v === true ? 'yes' : v === false ? 'no' : (v ?? ''));
  }
  for (const k of conf.keys()) if (!(KNOWN_OPTIONS as string[]).includes(k)) m.set(k, conf.raw(k)!);
  return m;
}

describe('imapd.conf syntax (no Cyrus needed)', () => {
  it('applies Cyrus 3.6.1 defaults', () => {
    const c = parseImapdConf('configdirectory: /var/lib/cyrus\npartition-default: /var/spool/cyrus/mail\n');
    expect([c.configDirectory, c.partitionDir('default'), c.partitionDir('x')]).toEqual(['/var/lib/cyrus', '/var/spool/cyrus/mail', undefined]);
    expect(parseImapdConf('configdirectory: /c\nPartition-Big: /big\n').partitionDir('big')).toBe('/big');
    expect(parseImapdConf('configdirectory: /c\nPartition-Big: /big\n').partitionDir('Big')).toBeUndefined();
    expect([c.hashImapSpool, c.fullDirHash, c.virtDomains, c.unixHierarchySep, c.altNamespace]).toEqual([false, false, 'off', true, true]);
    expect([c.mboxlistDb, c.seenstateDb, c.annotationDb, c.subscriptionDb]).toEqual(['twoskip', 'twoskip', 'twoskip', 'flat']);
    expect([c.deleteMode, c.expungeMode, c.deletedPrefix, c.defaultDomain]).toEqual(['delayed', 'delayed', 'DELETED', 'internal']);
    expect([c.syncLog, c.syncLogChannels, c.mboxnameLockpath, c.defaultPartition]).toEqual([false, [null], undefined, undefined]);
    expect([...c.metapartitionFiles]).toEqual([]);
    expect(c.archiveEnabled).toBe(false);
  });

  it('reads every boolean spelling Cyrus accepts', () => {
    for (const [v, want] of [['yes', true], ['on', true], ['1', true], ['true', true], ['t', true], ['no', false], ['off', false], ['0', false], ['false', false], ['f', false]] as const)
      expect(parseImapdConf(`configdirectory: /c\nhashimapspool: ${v}\n`).hashImapSpool, v).toBe(want);
  });

  it('finds channel-specific sync settings first, then the plain ones', () => {
    const c = parseImapdConf('configdirectory: /c\nsync_host: a\nrepl2_sync_host: b\nsync_log: 1\nsync_log_channels: repl2 ""\n');
    expect([c.sync('sync_host'), c.sync('sync_host', 'repl2'), c.sync('sync_host', 'other'), c.sync('sync_port')]).toEqual(['a', 'b', 'a', undefined]);
    expect(c.syncLogChannels).toEqual(['repl2', null]);
  });

  it('follows @include and names the included file and line in errors', () => {
    const files: Record<string, string> = { '/etc/extra.conf': 'fulldirhash: yes\n\nbroken line\n' };
    const read = (p: string) => {
      const t = files[p];
      if (t === undefined) throw new Error('ENOENT');
      return t;
    };
    expect(() => parseImapdConf('configdirectory: /c\n@include: /etc/extra.conf\n', '/etc/imapd.conf', read)).toThrow(
      expect.objectContaining({ file: '/etc/extra.conf', line: 3 }),
    );
    files['/etc/extra.conf'] = 'fulldirhash: yes\n';
    expect(parseImapdConf('configdirectory: /c\n@include: /etc/extra.conf\n', '/etc/imapd.conf', read).fullDirHash).toBe(true);
    expect(() => parseImapdConf('configdirectory: /c\n@include: /etc/missing.conf\n', '/etc/imapd.conf', read)).toThrow(
      expect.objectContaining({ file: '/etc/imapd.conf', line: 2 }),
    );
  });

  it('parses 5000 random texts into a config or a ConfigError, nothing else', () => {
    const parts = ['configdirectory', ': ', ':', '/c', '\n', '\\\n', '#', ' ', '\t', '@include', 'x', 'hashimapspool', 'yes', 'bogus', '\r\n', 'partition-a', '\u00e9', '-', '_', '{configdirectory}'];
    let seed = 42;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % parts.length;
    let configs = 0;
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: 1 + (i % 40) }, rnd).map((k) => parts[k]).join('');
      try {
        parseImapdConf(text, 'fuzz.conf', () => 'hashimapspool: 1\n');
        configs++;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw new Error(`case ${i}: ${JSON.stringify(text)}: ${String(e)}`);
      }
    }
    expect(configs).toBeGreaterThan(0);
  });

  it.each(Object.keys(ERRORS))('rejects: %s, naming file and line', (name) => {
    const [text, line] = ERRORS[name]!('/tmp/x');
    let err: unknown;
    try {
      parseImapdConf(text, '/tmp/x/imapd.conf');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).file).toBe('/tmp/x/imapd.conf');
    expect((err as ConfigError).line).toBe(line);
  });
});

const live = haveCyrus();

describe.skipIf(!live)('imapd.conf compared with cyr_info conf-all', () => {
  let s: Scratch;
  const S = () => (s ??= scratch());
  afterAll(() => s?.cleanup());

  const cyrInfo = (text: string) => {
    const file = S().path(`c${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(file, text);
    chownSync(file, Number(spawnSync('id', ['-u', 'cyrus']).stdout.toString()), 0);
    const r = spawnSync('runuser', ['-u', 'cyrus', '--', `${CYRUS_BIN}/cyr_info`, '-C', file, 'conf-all']);
    return { ok: r.status === 0 && !/fatal/.test(r.stderr.toString()), out: r.stdout.toString(), err: r.stderr.toString() };
  };

  it.each(Object.keys(CASES))('reads the same values as Cyrus: %s', (name) => {
    const text = CASES[name]!(S().dir);
    const r = cyrInfo(text);
    expect(r.ok, r.err).toBe(true);
    const theirs = new Map(
      r.out
        .split('\n')
        .filter((l) => l.includes(': ') || l.endsWith(':'))
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)] as [string, string]),
    );
    const mine = ours(parseImapdConf(text));
    let compared = 0;
    for (const [k, v] of mine) {
      const t = theirs.get(k);
      if (k === 'defaultpartition' && t !== undefined) {
        expect(v.toLowerCase(), k).toBe(t.toLowerCase()); // Cyrus lower-cases it only for its own use
      } else {
        expect([k, t]).toEqual([k, v]);
      }
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(KNOWN_OPTIONS.length);
  });

  it.each(Object.keys(ERRORS))('Cyrus also refuses: %s', (name) => {
    expect(cyrInfo(ERRORS[name]!(S().dir)[0]).ok).toBe(false);
  });
});
