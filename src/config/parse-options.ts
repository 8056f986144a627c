// The imapd.conf settings that change what Cyrus writes into a cache record when it parses a
// message (imap/message.c): maxheaderlines, boundary_limit, rfc2046_strict, rfc2047_utf8. check
// --deep must parse with the server's values, or it calls Cyrus's own records stale.
import { ConfigError, parseSwitch, type ImapdConf } from './imapd-conf.js';

/** The parse settings imapd.conf decides (field names as in message/options.ts ParseOptions). */
export interface ConfParseSettings {
  /** maxheaderlines: header lines kept in the cache per header block; 0 = no limit. */
  maxHeaderLines: number;
  /** boundary_limit: MIME nesting levels parsed. */
  boundaryLimit: number;
  /** rfc2046_strict: a boundary that merely starts with another boundary also ends that part. */
  rfc2046Strict: boolean;
  /** rfc2047_utf8: raw 8-bit bytes in header values are read as UTF-8. */
  rfc2047Utf8: boolean;
}

/** Cyrus 3.6.1's defaults (lib/imapoptions): what a server without these lines uses. */
export const CYRUS_PARSE_DEFAULTS: Readonly<ConfParseSettings> = Object.freeze({
  maxHeaderLines: 1000,
  boundaryLimit: 1000,
  rfc2046Strict: false,
  rfc2047Utf8: false,
});

type ConfView = Pick<ImapdConf, 'file' | 'raw' | 'where'>;

/** The settings a Cyrus started with `conf` parses with (absent options take the defaults). */
export function parseOptionsFromConfig(conf: ConfView): ConfParseSettings {
  return {
    maxHeaderLines: intOption(conf, 'maxheaderlines', CYRUS_PARSE_DEFAULTS.maxHeaderLines),
    boundaryLimit: intOption(conf, 'boundary_limit', CYRUS_PARSE_DEFAULTS.boundaryLimit),
    rfc2046Strict: switchOption(conf, 'rfc2046_strict', CYRUS_PARSE_DEFAULTS.rfc2046Strict),
    rfc2047Utf8: switchOption(conf, 'rfc2047_utf8', CYRUS_PARSE_DEFAULTS.rfc2047Utf8),
  };
}

function bad(conf: ConfView, key: string, what: string): ConfigError {
  const at = conf.where(key);
  return new ConfigError(`${what} for ${key}: '${conf.raw(key)}'`, at?.file ?? conf.file, at?.line ?? 0);
}

function switchOption(conf: ConfView, key: string, def: boolean): boolean {
  const v = conf.raw(key);
  if (v === undefined) return def;
  const b = parseSwitch(v);
  if (b === null) throw bad(conf, key, 'non-switch value');
  return b;
}

function intOption(conf: ConfView, key: string, def: number): number {
  const v = conf.raw(key);
  if (v === undefined) return def;
  const n = cInt(v);
  if (n === undefined) throw bad(conf, key, 'non-integer value');
  return n;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * An OPT_INT value as Cyrus reads it: strtol(value, &end, 0) must consume the whole value
 * (leading whitespace, a sign, then 0x/0X hex, 0 octal or decimal), saturating at the limits of
 * a 64-bit long, and config_getint() returns it as a C int (the low 32 bits). Undefined where
 * Cyrus would refuse to start ("non-integer value").
 */
export function cInt(value: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(value);
  if (!m) return undefined;
  const digits = m[2]!;
  let n = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === '0' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  if (m[1] === '-') n = -n;
  if (n > INT64_MAX) n = INT64_MAX;
  if (n < INT64_MIN) n = INT64_MIN;
  return Number(BigInt.asIntN(32, n));
}
