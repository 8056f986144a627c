// imapd.conf's parse settings as real Cyrus 3.6.1 reads them: `cyr_info conf-all` prints every
// option's effective value (defaults included) for a config file, and parseOptionsFromConfig
// must agree with it — defaults, hex and octal integers, switch spellings — and refuse what
// Cyrus refuses to start with.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseImapdConf } from '../../src/config/imapd-conf.js';
import { cInt, CYRUS_PARSE_DEFAULTS, parseOptionsFromConfig, type ConfParseSettings } from '../../src/config/parse-options.js';
import { describeInterop } from '../harness/env.js';

const KEYS = { maxheaderlines: 'maxHeaderLines', boundary_limit: 'boundaryLimit', rfc2046_strict: 'rfc2046Strict', rfc2047_utf8: 'rfc2047Utf8' } as const;

const ours = (lines: string) => parseOptionsFromConfig(parseImapdConf(`configdirectory: /x\n${lines}`, 'imapd.conf'));

/** What Cyrus 3.6.1 makes of the same lines: cyr_info conf-all, or its fatal error. */
function cyrus(lines: string): ConfParseSettings | { fatal: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fsck-parseopts-'));
  chmodSync(dir, 0o755);
  const conf = join(dir, 'imapd.conf');
  writeFileSync(conf, `configdirectory: ${dir}\npartition-default: ${dir}\n${lines}`);
  const r = spawnSync('runuser', ['-u', 'cyrus', '--', '/usr/lib/cyrus/bin/cyr_info', '-C', conf, 'conf-all'], { encoding: 'utf8' });
  const fatal = /fatal error: (.*)/.exec(r.stdout + r.stderr);
  if (fatal) return { fatal: fatal[1]! };
  const out: Record<string, number | boolean> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([a-z0-9_]+): (.*)$/.exec(line);
    if (!m || !(m[1]! in KEYS)) continue;
    const v = m[2]!;
    out[KEYS[m[1] as keyof typeof KEYS]] = v === 'yes' ? true : v === 'no' ? false : Number(v);
  }
  expect(Object.keys(out).sort()).toEqual(Object.values(KEYS).sort());
  return out as unknown as ConfParseSettings;
}

describeInterop('parse settings from imapd.conf, against cyr_info conf-all (Cyrus 3.6.1)', () => {
  const cases = [
    '',
    'maxheaderlines: 5\n',
    'maxheaderlines: 0\nboundary_limit: 3\n',
    'maxheaderlines: 0x10\nboundary_limit: 010\n',
    'maxheaderlines: -5\nboundary_limit: +7\n',
    'rfc2046_strict: yes\nrfc2047_utf8: on\n',
    'rfc2046_strict: 1\nrfc2047_utf8: true\n',
    'rfc2046_strict: off\nrfc2047_utf8: f\n',
    'MaxHeaderLines: 12\nRFC2047_UTF8: y\n',
  ];
  for (const lines of cases) {
    it(`agrees on ${JSON.stringify(lines)}`, () => {
      expect(ours(lines)).toEqual(cyrus(lines));
    });
  }

  it('the defaults are 3.6.1 imapd.conf defaults', () => {
    expect(cyrus('')).toEqual({ ...CYRUS_PARSE_DEFAULTS });
  });

  for (const lines of ['maxheaderlines: 12abc\n', 'boundary_limit: 08\n', 'maxheaderlines: 0x\n', 'rfc2046_strict: maybe\n']) {
    it(`refuses ${JSON.stringify(lines)} as Cyrus does`, () => {
      expect(cyrus(lines)).toHaveProperty('fatal');
      expect(() => ours(lines)).toThrow(ConfigError);
    });
  }
});

describe('cInt (strtol base 0, then a C int)', () => {
  it('reads decimal, hex, octal and signs; refuses trailing junk', () => {
    expect([cInt('1000'), cInt('0x1F'), cInt('017'), cInt('0'), cInt('-3'), cInt('+4'), cInt(' 9')]).toEqual([1000, 31, 15, 0, -3, 4, 9]);
    expect([cInt('9 '), cInt('1e3'), cInt('0b1'), cInt(''), cInt('-'), cInt('0x')]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('keeps the low 32 bits of a long, as config_getint() returns int', () => {
    expect(cInt('99999999999')).toBe(99999999999 % 2 ** 32);
    expect(cInt('4294967295')).toBe(-1);
    // strtol saturates at LONG_MAX, whose low 32 bits are all ones.
    expect(cInt('999999999999999999999999')).toBe(-1);
  });

  it('a bad value names the file and line', () => {
    const conf = parseImapdConf('configdirectory: /x\n\nboundary_limit: ten\n', '/etc/imapd.conf');
    expect(() => parseOptionsFromConfig(conf)).toThrow(/imapd\.conf:3: non-integer value for boundary_limit: 'ten'/);
  });
});
