// Compares a regenerated fixture tarball with the committed one, decoded, and says whether they
// differ only where two runs of make-fixtures.sh always differ (README.md beside this file: "What
// differs from run to run"). Needs the project built (npx tsc -p .): it decodes with dist/.
//
//   node compare-fixtures.mjs <committed.tar.gz> <new.tar.gz> [lmtp-uid]     (cyrus-index-*: 10)
//
// Every difference is printed as "allowed" (with why) or "NOT ALLOWED"; the exit status is 1 if
// any is not allowed. Compared: the file list, modes and message mtimes; every message file (the
// LMTP one up to lmtpd's header lines); cyrus.header; every cyrus.index header and record field
// and the ten cache items of every record (SYNC_CRCs must be reproduced, in each file, from its
// own records); databases record by record; text files line by line, with times, pids, uniqueids
// and the LMTP message's GUID and size masked.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
const D = new URL('../../../dist/src/', import.meta.url).href;
const { decodeIndex } = await import(`${D}format/index/index.js`);
const { decodeCacheRecord, CACHE_ITEMS } = await import(`${D}format/cache.js`);
const { decodeHeader } = await import(`${D}format/header.js`);
const { readDb } = await import(`${D}db/detect.js`);
const { syncCrcBasic, syncCrcAnnot, SYNC_CRC_ALGORITHMS } = await import(`${D}format/synccrc.js`);
const { messageAnnotations } = await import(`${D}format/annotations.js`);

const [oldTar, newTar, lmtpArg] = process.argv.slice(2);
if (!newTar) {
  console.error('usage: node compare-fixtures.mjs <committed.tar.gz> <new.tar.gz> [lmtp-uid]');
  process.exit(2);
}
const LMTP = lmtpArg ? Number(lmtpArg) : null;
let bad = 0;
const allowedCounts = new Map();
const say = (ok, msg, group) => {
  if (!ok) bad++;
  if (ok && group) allowedCounts.set(group, (allowedCounts.get(group) ?? 0) + 1);
  else console.log(`${ok ? '  allowed' : '  NOT ALLOWED'}: ${msg}`);
};
const flushGroups = () => { for (const [g, n] of allowedCounts) console.log(`  allowed: ${g} (${n} records)`); allowedCounts.clear(); };

function unpack(tar) {
  const d = mkdtempSync(join(tmpdir(), 'compare-fixtures-'));
  process.once('exit', () => rmSync(d, { recursive: true, force: true }));
  execFileSync('tar', ['xzf', tar, '-C', d]);
  return d;
}
function listing(tar) {
  // mode, size, name, and mtime (for message files only: the rest are stamped at run time)
  return execFileSync('tar', ['tzvf', tar, '--full-time'], { encoding: 'utf8' }).trim().split('\n').map((l) => {
    const f = l.split(/\s+/);
    return { mode: f[0], size: Number(f[2]), mtime: `${f[3]} ${f[4]}`, name: f.slice(5).join(' ') };
  });
}
const A = unpack(oldTar), B = unpack(newTar);
const la = listing(oldTar), lb = listing(newTar);
console.log(`== ${basename(oldTar)}: ${la.length} entries vs ${lb.length}`);
const na = la.map((e) => e.name), nb = lb.map((e) => e.name);
if (JSON.stringify(na) !== JSON.stringify(nb)) say(false, `file lists differ: only old ${na.filter((n) => !nb.includes(n))}, only new ${nb.filter((n) => !na.includes(n))}`);
else console.log(`  same file list (${na.length} entries, same order)`);
const mb = new Map(lb.map((e) => [e.name, e]));
for (const e of la) {
  const o = mb.get(e.name);
  if (!o) continue;
  if (o.mode !== e.mode) say(false, `${e.name}: mode ${e.mode} vs ${o.mode}`);
  const msg = /\/\d+\.$/.test(e.name);
  if (msg && o.mtime !== e.mtime) say(LMTP !== null && e.name.endsWith(`/${LMTP}.`), `${e.name}: mtime ${e.mtime} vs ${o.mtime}`);
}

// --- identity maps learnt from the decoded mailboxes (uidvalidity, uniqueid, LMTP guid)
const subst = [];
const RUN = [Infinity, -Infinity]; // the times of both runs, learnt from the uidvalidities
const files = na.filter((n) => !n.endsWith('/'));
const same = [], differ = [];
for (const f of files) (readFileSync(join(A, f)).equals(readFileSync(join(B, f))) ? same : differ).push(f);
console.log(`  ${same.length} files byte-identical, ${differ.length} differ`);

function cmpObj(what, x, y, allowed, group) {
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) {
    const a = x[k], b = y[k];
    const s = (v) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? `${v}n` : JSON.stringify(v, (_, z) => (typeof z === 'bigint' ? `${z}n` : z)));
    if (s(a) === s(b)) continue;
    say(allowed.includes(k), `${what}.${k}: ${s(a)} -> ${s(b)}`, group && `${group}.${k} differs`);
  }
}

// the mailbox's name: expected.json's for an index fixture, else user.corpus / the lab path
function mboxName(dir, m) {
  const e = join(dir, m, '..', 'expected.json');
  if (m.endsWith('/mailbox') && existsSync(e)) return JSON.parse(readFileSync(e, 'utf8')).mailbox;
  if (m.endsWith('/mailbox')) return 'user.corpus';
  const x = /spool\/.\/(user\/[^/]+)$/.exec(m);
  return x ? x[1].replace('/', '.') : 'user.unknown';
}
const mailboxes = [...new Set(files.filter((f) => f.endsWith('/cyrus.index')).map((f) => f.slice(0, -'/cyrus.index'.length)))];
for (const m of mailboxes) {
  const ia = decodeIndex(readFileSync(join(A, m, 'cyrus.index'))), ib = decodeIndex(readFileSync(join(B, m, 'cyrus.index')));
  const ha = decodeHeader(readFileSync(join(A, m, 'cyrus.header'))), hb = decodeHeader(readFileSync(join(B, m, 'cyrus.header')));
  RUN[0] = Math.min(RUN[0], ia.header.uidvalidity - 3600, ib.header.uidvalidity - 3600);
  RUN[1] = Math.max(RUN[1], ia.header.uidvalidity + 3600, ib.header.uidvalidity + 3600);
  if (ha.uniqueid !== hb.uniqueid) subst.push([ha.uniqueid, '<UNIQUEID>'], [hb.uniqueid, '<UNIQUEID>']);
  console.log(`-- ${m}: cyrus.index v${ia.header.minorVersion} ${ia.records.length} records vs v${ib.header.minorVersion} ${ib.records.length}`);
  cmpObj(`${m} cyrus.header`, ha, hb, ['uniqueid']);
  // A SYNC_CRC difference is derived when each file's stored value is what its own records hash to.
  const annots = (dir, h) => { const f = join(dir, m, 'cyrus.annotations'); return existsSync(f) ? messageAnnotations(readDb(readFileSync(f)).records, mboxName(dir, m)) : []; };
  const [aa, ab] = [annots(A, ha), annots(B, hb)];
  const annotExplained = ia.header.syncCrcAnnot === undefined ? null : Object.keys(SYNC_CRC_ALGORITHMS).filter((alg) =>
    syncCrcAnnot(ia.records, aa, ia.header.minorVersion, SYNC_CRC_ALGORITHMS[alg]) === ia.header.syncCrcAnnot &&
    syncCrcAnnot(ib.records, ab, ib.header.minorVersion, SYNC_CRC_ALGORITHMS[alg]) === ib.header.syncCrcAnnot).join('/');
  const crcExplained = Object.keys(SYNC_CRC_ALGORITHMS).filter((alg) =>
    syncCrcBasic(ia.records, ha.userFlags, SYNC_CRC_ALGORITHMS[alg]) === ia.header.syncCrcBasic &&
    syncCrcBasic(ib.records, hb.userFlags, SYNC_CRC_ALGORITHMS[alg]) === ib.header.syncCrcBasic).join('/');
  const lmtpHere = LMTP !== null && ia.records.some((r) => r.uid === LMTP);
  const la_ = ia.records.find((r) => r.uid === LMTP), lb_ = ib.records.find((r) => r.uid === LMTP);
  const lmtpDelta = la_ && lb_ ? lb_.size - la_.size : 0n;
  const quotaExplained = ib.header.quotaMailboxUsed - ia.header.quotaMailboxUsed === lmtpDelta;
  if (la_ && lb_) {
    for (const [x, y] of [[la_.size, lb_.size], [la_.headerSize, lb_.headerSize]]) if (x !== y) subst.push([String(x), '<LMTP-SIZE>'], [String(y), '<LMTP-SIZE>']);
    if (ia.header.quotaMailboxUsed !== ib.header.quotaMailboxUsed) subst.push([String(ia.header.quotaMailboxUsed), '<QUOTA>'], [String(ib.header.quotaMailboxUsed), '<QUOTA>']);
  }
  for (const k of ['syncCrcBasic', 'syncCrcAnnot']) if (ia.header[k] !== ib.header[k] && ia.header[k] !== undefined) subst.push([String(ia.header[k]), '<SYNC_CRC>'], [String(ib.header[k]), '<SYNC_CRC>']);
  // header fields that are times or CRCs over times / the uniqueid / the LMTP message's GUID
  cmpObj(`${m} index header`, ia.header, ib.header, ['uidvalidity', 'lastAppenddate', 'firstExpunged', 'lastRepackTime', 'recenttime', 'changesEpoch', 'headerFileCrc', 'crcStored', 'crcComputed', 'nsec'].concat(crcExplained ? ['syncCrcBasic'] : [], annotExplained ? ['syncCrcAnnot'] : [], quotaExplained ? ['quotaMailboxUsed'] : []));
  if (ia.header.syncCrcAnnot !== ib.header.syncCrcAnnot) console.log(`   SYNC_CRC_ANNOT ${annotExplained ? `differs, and each file's is reproduced from its own records and cyrus.annotations by the ${annotExplained} algorithm (3.x hashes virtual annotations such as savedate)` : 'differs and is NOT reproduced'}`);
  if (quotaExplained && ia.header.quotaMailboxUsed !== ib.header.quotaMailboxUsed) console.log(`   quota_mailbox_used differs by ${ib.header.quotaMailboxUsed - ia.header.quotaMailboxUsed}, exactly the LMTP message's size change`);
  if (ia.header.syncCrcBasic !== ib.header.syncCrcBasic) console.log(`   SYNC_CRC (basic) ${crcExplained ? `differs, and each file's is reproduced from its own records by the ${crcExplained} algorithm(s) (it hashes last_updated, and the LMTP message's GUID)` : 'differs and is NOT reproduced from the records'}`);
  if (ia.records.length !== ib.records.length) say(false, `${m}: record count`);
  const ca = ia.records.length ? readFileSync(join(A, m, 'cyrus.cache')) : null, cb = ib.records.length ? readFileSync(join(B, m, 'cyrus.cache')) : null;
  for (let i = 0; i < Math.min(ia.records.length, ib.records.length); i++) {
    const ra = ia.records[i], rb = ib.records[i];
    const isL = ra.uid === LMTP;
    if (isL && ra.guid !== rb.guid) subst.push([ra.guid, '<LMTP-GUID>'], [rb.guid, '<LMTP-GUID>']);
    cmpObj(`${m} uid ${ra.uid}`, ra, rb, ['lastUpdated', 'savedate', 'recordCrc', 'recordCrcComputed', ...(isL ? ['internaldate', 'guid', 'cacheCrc', ...(lb_.size - la_.size === BigInt(rb.headerSize - ra.headerSize) ? ['size', 'headerSize'] : [])] : [])], isL ? `${m} LMTP uid ${ra.uid}` : `${m} records`);
    const xa = decodeCacheRecord(ca, ra.cacheOffset, ra.cacheVersion), xb = decodeCacheRecord(cb, rb.cacheOffset, rb.cacheVersion);
    for (const it of CACHE_ITEMS) {
      if (xa.items[it].equals(xb.items[it])) continue;
      say(isL && (it === 'HEADERS' || (it === 'SECTION' && lmtpDelta !== 0n)), `${m} uid ${ra.uid} cache ${it} differs: ${JSON.stringify(xa.items[it].toString('latin1').slice(0, 300))} -> ${JSON.stringify(xb.items[it].toString('latin1').slice(0, 300))}`);
    }
  }
  flushGroups();
  console.log(`   compared ${ia.records.length} records field by field and their ${CACHE_ITEMS.length} cache items`);
}

// message files: only the LMTP one may differ (its Received: header)
for (const f of differ.filter((f) => /\/\d+\.$/.test(f))) {
  const a = readFileSync(join(A, f), 'latin1'), b = readFileSync(join(B, f), 'latin1');
  // lmtpd's own header lines: Received: (folded) and, in 3.x, X-Cyrus-Session-Id: (time, pid, random number)
  const strip = (s) => s.replace(/^Received: [^]*?\r?\n(?=\S)/m, '').replace(/^X-Cyrus-Session-Id: .*\r?\n/m, '');
  const lmtp = LMTP !== null && f.endsWith(`/${LMTP}.`);
  say(lmtp && strip(a) === strip(b), `${f}: message differs${strip(a) === strip(b) ? ' only in the header lines lmtpd adds (Received:, X-Cyrus-Session-Id:)' : ''}`);
}

// databases
const TIME = /\b1[78]\d{8}\b/g;
const binTimes = (s) => {
  // 4 bytes holding a time of either run (an hour around the uidvalidities), big- or little-endian, with at least one non-printable byte
  let o = '';
  for (let i = 0; i < s.length; i++) {
    if (i + 4 <= s.length) {
      const b = Buffer.from(s.slice(i, i + 4), 'latin1');
      const binary = [...b].some((x) => x < 0x20 || x >= 0x7f);
      const t = (v) => v >= RUN[0] && v <= RUN[1];
      if (binary && (t(b.readUInt32BE(0)) || t(b.readUInt32LE(0)))) { o += '<BTIME>'; i += 3; continue; }
    }
    o += s[i];
  }
  return o;
};
const norm = (s) => { for (const [x, y] of [...subst].sort((p, q) => q[0].length - p[0].length)) s = s.split(x).join(y); // longest first: a size must not eat into a GUID
  return binTimes(s.replace(TIME, '<TIME>')); };
for (const f of differ.filter((f) => /\.(db|seen|sub)$|cyrus\.annotations$/.test(f))) {
  const a = readDb(readFileSync(join(A, f))), b = readDb(readFileSync(join(B, f)));
  const rows = (d) => d.records.map((r) => `${norm(r.key.toString('latin1'))}\t${norm(r.value.toString('latin1'))}`);
  const ra = rows(a), rb = rows(b);
  const deliver = f.endsWith('deliver.db'); // duplicate-delivery db: value = delivery time (binary)
  if (a.backend !== b.backend || a.clean !== b.clean) say(false, `${f}: backend/clean ${a.backend}/${a.clean} vs ${b.backend}/${b.clean}`);
  if (JSON.stringify(ra) === JSON.stringify(rb)) say(true, `${f} (${a.backend}): the same ${ra.length} records after masking uniqueid/uidvalidity/times (bytes differ)`);
  else if (deliver && ra.length === rb.length && a.records.every((r, i) => r.key.equals(b.records[i].key))) say(true, `${f}: same keys, values (delivery times) differ`);
  else say(false, `${f}: records ${JSON.stringify(ra)} vs ${JSON.stringify(rb)}`);
}

// text files: masked diff
const DATES = [/\b\d{1,2}-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}/g, /\b[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}/g, /\b[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\b/g, /\b\d{4}-\d\d-\d\d\b/g];
const normText = (s) => {
  s = norm(s);
  for (const r of DATES) s = s.replace(r, '<DATE>');
  return s.replace(/\[\d+\]:/g, '[<PID>]:').replace(/X-Cyrus-Session-Id: ocf-\S+/g, 'X-Cyrus-Session-Id: <SESSION>').replace(/CacHdr>\{\d+\}X-Cyrus-Session-Id/g, 'CacHdr>{<N>}X-Cyrus-Session-Id').replace(/test\/harness\/(old|other|release)-cyrus\//g, 'test/harness/<HARNESS>/');
};
for (const f of differ.filter((f) => /\.(txt|json|conf|tsv)$/.test(f))) {
  const a = normText(readFileSync(join(A, f), 'latin1')).split('\n'), b = normText(readFileSync(join(B, f), 'latin1')).split('\n');
  const d = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) d.push(`    line ${i + 1}: ${JSON.stringify(a[i])}\n         -> ${JSON.stringify(b[i])}`);
  // Known: the committed 3.2.6 imap-verify.txt predates the literal8 recognition (harness README).
  const stale = f.endsWith('imap-verify.txt') && /^uid 1075: BODY\[\] is \d+ bytes "~\{/.test(a[1] ?? '') && /^uid 1123: BODY\[\] is \d+ bytes "~\{/.test(a[2] ?? '') && (b[1] ?? '').startsWith('not compared: uid 1075, 1123, sent as literal8') && a[0] === b[0];
  if (stale) say(true, `${f}: the committed file lists uids 1075, 1123 as differing (~{n} literal8, written before the script recognised it); the new one says "not compared" (README: known)`);
  else if (d.length === 0) say(true, `${f}: equal after masking times/dates/pids/uidvalidity/uniqueid/LMTP guid/harness path`);
  else say(false, `${f}: ${d.length} lines differ after masking:\n${d.slice(0, 12).join('\n')}`);
}
const other = differ.filter((f) => !/\/\d+\.$/.test(f) && !/\.(db|seen|sub|txt|json|conf|tsv)$/.test(f) && !/cyrus\.(index|cache|header|annotations)$/.test(f));
for (const f of other) {
  if (/\/db\/__db\.\d+$/.test(f)) say(true, `${f}: Berkeley DB environment region file (2.4's db/ env: shared-memory state of the run, not data)`);
  else if (f.endsWith('/db/skipstamp')) say(true, `${f}: ${readFileSync(join(A, f)).readUInt32BE(0)} -> ${readFileSync(join(B, f)).readUInt32BE(0)} (the time of the last skiplist checkpoint)`);
  else say(false, `unclassified difference: ${f}`);
}
console.log(bad ? `RESULT: ${bad} difference(s) NOT in the allowed set` : 'RESULT: only allowed run-to-run differences');
process.exitCode = bad ? 1 : 0;
