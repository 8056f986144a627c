// The IMAP/LMTP side of make-fixtures.sh: talks to a Cyrus release running inside a Debian or
// Ubuntu chroot on 127.0.0.1, with the harness's own clients (test/harness/imap.ts, lmtp.ts,
// mime.ts). Compiled by make-fixtures.sh with tsc into a temporary folder and run with node:
//   create <imap port> <mailbox>                       admin CREATE
//   verify-corpus <imap port> <user> <MANIFEST.tsv>    every message's BODY[] SHA-1 = manifest
//   populate <imap port> <lmtp port> <user> <label> [--probe] [--reader=NAME]
//                                                      the index fixture's mailbox (below)
//   dump <imap port> <user> <out folder> [--probe] [--reader=NAME]
//                                                      imap.json + expected.json (Cyrus's view)
// The two options are the per-release differences; make-fixtures.sh's suite table chooses them:
//   --probe        the release may predate what the dump and populate use (SAVEDATE and
//                  CREATEDMODSEQ need 3.1, DIGEST.SHA1 3.0, per-message annotations
//                  (ANNOTATE-EXPERIMENT-1) 2.5, GETMETADATA 2.5): ask the server (the post-login
//                  CAPABILITY, a trial `UID FETCH 1 <item>`) and use only what it offers;
//                  imap.json then also records `capabilities` and `fetch_items`. Without it
//                  (3.1 and later) all of them are used unasked, and a missing one is an error.
//   --reader=NAME  a second user NAME gets lrsw on the mailbox and marks messages \Seen in it,
//                  so NAME's seen database holds an entry; the dump adds what NAME sees
//                  (expected.json `reader`, `reader_seen`; imap.json `reader_fetch`).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapClient, sexpString, type FetchedMessage, type Sexp } from '../imap.js';
import { lmtpDeliver } from '../lmtp.js';
import { cassandaneMessages, generateMessage, lfOnly, Rng, type MessageKind } from '../mime.js';

const ADMIN = 'admin';
const PASSWORD = process.env.OC_PASSWORD ?? 'cyrus-fsck-test';

/** The per-release options (see the head of this file). */
interface Release {
  probe: boolean;
  reader: string | null;
}

async function connectAs(port: number, user: string | undefined, release: Release): Promise<ImapClient> {
  const c = await ImapClient.connect(port);
  await c.authenticatePlain(ADMIN, PASSWORD, user && user !== ADMIN ? user : '');
  if (release.probe) await c.ok('CAPABILITY'); // the post-login capability list (what this release offers)
  return c;
}

const has = (c: ImapClient, cap: string) => c.capabilities.some((x) => x.toUpperCase() === cap);
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const bytesOf = (v: Sexp | undefined) => (Buffer.isBuffer(v) ? v : Buffer.from(sexpString(v ?? null), 'utf8'));

async function create(port: number, mailbox: string, release: Release): Promise<void> {
  const c = await connectAs(port, undefined, release);
  try {
    await c.create(mailbox);
  } finally {
    await c.logout();
  }
}

/** Fetches every message of the user's INBOX and compares its bytes with the manifest's SHA-1. */
async function verifyCorpus(port: number, user: string, manifest: string, release: Release): Promise<void> {
  const want = new Map<number, string>();
  for (const line of readFileSync(manifest, 'utf8').split('\n').slice(1)) {
    const [uid, , hash] = line.split('\t');
    if (uid) want.set(Number(uid), hash!);
  }
  const c = await connectAs(port, user, release);
  try {
    const st = await c.examine('INBOX');
    if (st.exists !== want.size) throw new Error(`EXISTS ${st.exists}, manifest has ${want.size}`);
    let same = 0;
    const differ: string[] = [];
    const literal8: number[] = [];
    for (const m of await c.uidFetch('1:*', 'UID BODY.PEEK[]')) {
      const uid = Number(m.attrs.get('UID'));
      const body = bytesOf(m.attrs.get('BODY[]'));
      const got = sha1(body);
      if (want.get(uid) === got) same++;
      // A message holding NUL bytes comes as a literal8 (~{n}, RFC 3516), which imap.ts does not parse.
      else if (body.subarray(0, 2).toString('latin1') === '~{') literal8.push(uid);
      else differ.push(`uid ${uid}: BODY[] is ${body.length} bytes ${JSON.stringify(body.subarray(0, 60).toString('latin1'))}, sha1 ${got}; the file has sha1 ${want.get(uid)}`);
    }
    console.log(`IMAP FETCH BODY.PEEK[]: ${same} of ${want.size} messages returned exactly the file's bytes`);
    if (literal8.length) console.log(`not compared: uid ${literal8.join(', ')}, sent as literal8 ~{n} (the file holds NUL bytes; imap.ts cannot read literal8)`);
    for (const d of differ) console.log(d);
  } finally {
    await c.logout();
  }
}

/**
 * The index fixture's mailbox, the same for every Cyrus release: 9 messages (7 generated kinds,
 * 2 of Cyrus's own Cassandane samples) appended with fixed INTERNALDATEs, one LF-only message
 * delivered over LMTP, then system flags and keywords in rounds (one keyword taken back off),
 * a private and a shared per-message annotation, one message expunged (delayed expunge keeps
 * its record) and one left with \Deleted. Everything but the UIDVALIDITY, the times Cyrus
 * stamps (savedate, last_updated, LMTP's arrival) and the Received: header is the same each run.
 * With --reader: the reader gets lrsw on it and marks 1,2,4,6,9 \Seen (before uid 6 is
 * expunged). With --probe and no ANNOTATE-EXPERIMENT-1 (2.4): one shared /comment on the
 * mailbox instead of the per-message ones (2.4 keeps it in annotations.db).
 */
async function populate(imapPort: number, lmtpPort: number, user: string, label: string, release: Release): Promise<void> {
  const rng = new Rng(0x0c0ffee);
  const { reader } = release;
  await create(imapPort, `user.${user}`, release);
  if (reader) {
    await create(imapPort, `user.${reader}`, release);
    const admin = await connectAs(imapPort, undefined, release);
    await admin.setAcl(`user.${user}`, reader, 'lrsw');
    await admin.logout();
  }
  const c = await connectAs(imapPort, user, release);
  try {
    await c.select('INBOX');
    const kinds: MessageKind[] = ['plain', 'alternative', 'attachment', 'nested', 'eightbit-headers', 'encoded-words', 'quoted-printable'];
    const samples = cassandaneMessages().filter((s) => ['msg1.eml', 'iso-2022-jp.eml'].includes(s.name));
    const uids: number[] = [];
    for (const [i, kind] of kinds.entries()) {
      const m = generateMessage(kind, i + 1, rng, `${user}@example.com`);
      uids.push(await c.append('INBOX', m.bytes, { internalDate: m.internalDate }));
    }
    for (const [i, s] of samples.entries()) {
      uids.push(await c.append('INBOX', s.bytes, { internalDate: new Date(Date.UTC(2023, 5, 1 + i, 9, 30, 0)) }));
    }
    const lf = lfOnly(generateMessage('plain', 99, rng, `${user}@example.com`).bytes);
    const [reply] = await lmtpDeliver(lmtpPort, [user], lf);
    if (reply?.code !== 250) throw new Error(`LMTP delivery refused: ${reply?.code} ${reply?.lines.join(' / ')}`);
    // uids: 1..9 appended, 10 delivered.
    await c.uidStore('1,2,3,5,8,10', '+', ['\\Seen']);
    await c.uidStore('2', '+', ['\\Answered']);
    await c.uidStore('3', '+', ['\\Flagged']);
    await c.uidStore('4', '+', ['\\Draft']);
    await c.uidStore('1,3', '+', ['$Label1']);
    await c.uidStore('3,9', '+', ['Work']);
    await c.uidStore('2,5', '+', ['todo']);
    await c.uidStore('5', '-', ['todo']);
    let annotations: string;
    if (!release.probe || has(c, 'ANNOTATE-EXPERIMENT-1')) {
      await c.storeAnnotation('1', '/comment', `private note written by Cyrus ${label}`, 'priv');
      await c.storeAnnotation('2', '/comment', `shared note written by Cyrus ${label}`, 'shared');
      await c.storeAnnotation('6', '/comment', 'on a message about to be expunged', 'shared');
      annotations = 'per-message /comment on 1 (priv), 2 and 6 (shared)';
    } else {
      await c.setAnnotation('INBOX', '/comment', `mailbox note written by Cyrus ${label}`, 'shared');
      annotations = 'no ANNOTATE-EXPERIMENT-1: mailbox /comment (shared) on INBOX';
    }
    if (reader) {
      // The reader marks messages seen in the owner's INBOX: its seen database gets the entry.
      const r = await connectAs(imapPort, reader, release);
      await r.select(`user.${user}`);
      await r.uidStore('1,2,4,6,9', '+', ['\\Seen']);
      await r.logout();
    }
    await c.uidStore('6,7', '+', ['\\Deleted']);
    await c.uidExpunge('6');
    console.log(`populated user.${user}: uids ${[...uids, 10].join(',')}, uid 6 expunged, uid 7 \\Deleted; ${annotations}${reader ? `; ${reader} saw 1,2,4,6,9` : ''}`);
  } finally {
    await c.logout();
  }
}

function flagsOf(m: FetchedMessage): string[] {
  const f = m.attrs.get('FLAGS');
  if (!Array.isArray(f)) throw new Error('FETCH without FLAGS');
  return f.map((x) => sexpString(x)).filter((x) => x.toLowerCase() !== '\\recent').sort();
}

const atom = (v: Sexp | undefined) => sexpString(Array.isArray(v) ? v[0]! : (v ?? null));

/** The fetch items of a 3.1+ server, in the order the Debian fixtures asked for them. */
const ALL_ITEMS = ['UID', 'FLAGS', 'MODSEQ', 'RFC822.SIZE', 'INTERNALDATE', 'SAVEDATE', 'CREATEDMODSEQ', 'DIGEST.SHA1'];

/** --probe: the base set, plus each optional item the server does not refuse. */
async function probeFetchItems(c: ImapClient): Promise<string[]> {
  const items = ['UID', 'FLAGS', 'MODSEQ', 'RFC822.SIZE', 'INTERNALDATE'];
  for (const opt of ['DIGEST.SHA1', 'SAVEDATE', 'CREATEDMODSEQ']) {
    const r = await c.command('UID', 'FETCH', '1', opt);
    if (r.status === 'OK') items.push(opt);
  }
  return items;
}

/** Cyrus's own view of the user's INBOX, read-only (EXAMINE): what the tests compare against. */
async function dump(port: number, user: string, out: string, release: Release): Promise<void> {
  const { probe, reader } = release;
  const c = await connectAs(port, user, release);
  try {
    const st = await c.examine('INBOX');
    const items = probe ? await probeFetchItems(c) : ALL_ITEMS;
    const fetched = await c.uidFetch('1:*', `${items.join(' ')} BODY.PEEK[]`);
    // The SYNC_CRCs as stored in the index header ("basic annot"), as imapd reads them.
    const crcs = !probe || has(c, 'METADATA') ? await c.getMetadata('INBOX', '/shared/vendor/cmu/cyrus-imapd/synccrcs') : null;
    const [basic, annot] = (crcs ?? '').split(' ').map(Number);
    const opt = (m: FetchedMessage, k: string, f: (v: Sexp | undefined) => unknown) => (items.includes(k) ? f(m.attrs.get(k)) : null);
    const messages = fetched
      .map((m) => ({
        uid: Number(m.attrs.get('UID')),
        flags: flagsOf(m),
        modseq: Number(atom(m.attrs.get('MODSEQ'))),
        size: Number(m.attrs.get('RFC822.SIZE')),
        internaldate: sexpString(m.attrs.get('INTERNALDATE') ?? null),
        savedate: opt(m, 'SAVEDATE', (v) => sexpString(v ?? null)),
        createdmodseq: opt(m, 'CREATEDMODSEQ', (v) => Number(atom(v))),
        guid: opt(m, 'DIGEST.SHA1', (v) => sexpString(v ?? null)),
        body_sha1: sha1(bytesOf(m.attrs.get('BODY[]'))),
      }))
      .sort((a, b) => a.uid - b.uid);
    // The reader's view of the same mailbox: \Seen comes from the reader's seen database.
    let readerFetch: FetchedMessage[] = [];
    if (reader) {
      const r = await connectAs(port, reader, release);
      await r.examine(`user.${user}`);
      readerFetch = await r.uidFetch('1:*', 'UID FLAGS');
      await r.logout();
    }
    const readerSeen = readerFetch
      .filter((m) => flagsOf(m).includes('\\Seen'))
      .map((m) => Number(m.attrs.get('UID')))
      .sort((a, b) => a - b);
    const raw = fetched.map((m) => Object.fromEntries([...m.attrs].filter(([k]) => k !== 'BODY[]').map(([k, v]) => [k, show(v)])));
    const imap = {
      ...(probe ? { capabilities: c.capabilities, fetch_items: items } : {}),
      examine: { ...st, highestmodseq: String(st.highestmodseq) },
      synccrcs: crcs,
      fetch: raw,
      ...(reader ? { reader_fetch: readerFetch.map((m) => Object.fromEntries([...m.attrs].map(([k, v]) => [k, show(v)]))) } : {}),
    };
    writeFileSync(join(out, 'imap.json'), JSON.stringify(imap, null, 1) + '\n');
    const expected = {
      mailbox: `user.${user}`,
      uidvalidity: st.uidvalidity,
      uidnext: st.uidnext,
      highestmodseq: Number(st.highestmodseq),
      exists: st.exists,
      stored_sync_crc: crcs === null ? null : { basic, annot },
      ...(reader ? { reader, reader_seen: readerSeen } : {}),
      messages,
    };
    writeFileSync(join(out, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');
    console.log(`dumped user.${user}: ${messages.length} messages, items ${items.join(' ')}, synccrcs ${JSON.stringify(crcs)}${reader ? `, ${reader} sees ${readerSeen.join(',')}` : ''}`);
  } finally {
    await c.logout();
  }
}

const show = (v: Sexp): unknown => (Buffer.isBuffer(v) ? v.toString('latin1') : Array.isArray(v) ? v.map(show) : v);

// Positional arguments, then the per-release options (--probe, --reader=NAME) anywhere.
const argv = process.argv.slice(2);
const release: Release = { probe: false, reader: null };
const a: string[] = [];
for (const arg of argv) {
  if (arg === '--probe') release.probe = true;
  else if (arg.startsWith('--reader=')) release.reader = arg.slice('--reader='.length) || null;
  else if (arg.startsWith('--')) {
    console.error(`lab-client.js: unknown option ${arg}`);
    process.exit(2);
  } else a.push(arg);
}
const cmd = a.shift();
const run: Record<string, () => Promise<void>> = {
  create: () => create(Number(a[0]), a[1]!, release),
  'verify-corpus': () => verifyCorpus(Number(a[0]), a[1]!, a[2]!, release),
  populate: () => populate(Number(a[0]), Number(a[1]), a[2]!, a[3]!, release),
  dump: () => dump(Number(a[0]), a[1]!, a[2]!, release),
};
const fn = run[cmd ?? ''];
if (!fn) {
  console.error(`usage: lab-client.js ${Object.keys(run).join('|')} ... [--probe] [--reader=NAME]`);
  process.exit(2);
}
fn().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
