// The IMAP/LMTP side of make-fixtures.sh for OLD Cyrus releases (2.4, 2.5, 3.0) in Ubuntu
// chroots. Like ../other-cyrus/lab-client.ts, but asks each server only what it supports: no
// SAVEDATE/CREATEDMODSEQ before 3.1, no per-message annotations (ANNOTATE-EXPERIMENT-1) in 2.4
// (a mailbox annotation instead), no GETMETADATA in 2.4. A second user, the reader, marks
// messages \Seen in the owner's INBOX, so the reader's seen database holds an entry for it.
//   create <imap port> <mailbox>
//   verify-corpus <imap port> <user> <MANIFEST.tsv>
//   populate <imap port> <lmtp port> <user> <label> <reader>
//   dump <imap port> <user> <reader> <out folder>
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapClient, sexpString, type FetchedMessage, type Sexp } from '../imap.js';
import { lmtpDeliver } from '../lmtp.js';
import { cassandaneMessages, generateMessage, lfOnly, Rng, type MessageKind } from '../mime.js';

const ADMIN = 'admin';
const PASSWORD = process.env.OC_PASSWORD ?? 'cyrus-fsck-test';

async function connectAs(port: number, user?: string): Promise<ImapClient> {
  const c = await ImapClient.connect(port);
  await c.authenticatePlain(ADMIN, PASSWORD, user && user !== ADMIN ? user : '');
  await c.ok('CAPABILITY'); // the post-login capability list (what this release offers)
  return c;
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const bytesOf = (v: Sexp | undefined) => (Buffer.isBuffer(v) ? v : Buffer.from(sexpString(v ?? null), 'utf8'));
const has = (c: ImapClient, cap: string) => c.capabilities.some((x) => x.toUpperCase() === cap);

async function create(port: number, mailbox: string): Promise<void> {
  const c = await connectAs(port);
  try {
    await c.create(mailbox);
  } finally {
    await c.logout();
  }
}

async function verifyCorpus(port: number, user: string, manifest: string): Promise<void> {
  const want = new Map<number, string>();
  for (const line of readFileSync(manifest, 'utf8').split('\n').slice(1)) {
    const [uid, , hash] = line.split('\t');
    if (uid) want.set(Number(uid), hash!);
  }
  const c = await connectAs(port, user);
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
 * The same mailbox as ../other-cyrus populate (9 appended, 1 LMTP, flags and keywords in rounds,
 * uid 6 expunged, uid 7 \Deleted), plus: the reader gets lrsw on it and marks 1,2,4,6,9 \Seen
 * (before uid 6 is expunged). Annotations: per-message where the server has
 * ANNOTATE-EXPERIMENT-1 (2.5+), else one shared /comment on the mailbox (2.4's annotations.db).
 */
async function populate(imapPort: number, lmtpPort: number, user: string, label: string, reader: string): Promise<void> {
  const rng = new Rng(0x0c0ffee);
  await create(imapPort, `user.${user}`);
  await create(imapPort, `user.${reader}`);
  const admin = await connectAs(imapPort);
  await admin.setAcl(`user.${user}`, reader, 'lrsw');
  await admin.logout();
  const c = await connectAs(imapPort, user);
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
    await c.uidStore('1,2,3,5,8,10', '+', ['\\Seen']);
    await c.uidStore('2', '+', ['\\Answered']);
    await c.uidStore('3', '+', ['\\Flagged']);
    await c.uidStore('4', '+', ['\\Draft']);
    await c.uidStore('1,3', '+', ['$Label1']);
    await c.uidStore('3,9', '+', ['Work']);
    await c.uidStore('2,5', '+', ['todo']);
    await c.uidStore('5', '-', ['todo']);
    let annotations: string;
    if (has(c, 'ANNOTATE-EXPERIMENT-1')) {
      await c.storeAnnotation('1', '/comment', `private note written by Cyrus ${label}`, 'priv');
      await c.storeAnnotation('2', '/comment', `shared note written by Cyrus ${label}`, 'shared');
      await c.storeAnnotation('6', '/comment', 'on a message about to be expunged', 'shared');
      annotations = 'per-message /comment on 1 (priv), 2 and 6 (shared)';
    } else {
      await c.setAnnotation('INBOX', '/comment', `mailbox note written by Cyrus ${label}`, 'shared');
      annotations = 'no ANNOTATE-EXPERIMENT-1: mailbox /comment (shared) on INBOX';
    }
    // The reader marks messages seen in the owner's INBOX: its seen database gets the entry.
    const r = await connectAs(imapPort, reader);
    await r.select(`user.${user}`);
    await r.uidStore('1,2,4,6,9', '+', ['\\Seen']);
    await r.logout();
    await c.uidStore('6,7', '+', ['\\Deleted']);
    await c.uidExpunge('6');
    console.log(`populated user.${user}: uids ${[...uids, 10].join(',')}, uid 6 expunged, uid 7 \\Deleted; ${annotations}; ${reader} saw 1,2,4,6,9`);
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

/** The fetch items this server accepts: the base set, plus each optional one it does not refuse. */
async function fetchItems(c: ImapClient): Promise<string[]> {
  const items = ['UID', 'FLAGS', 'MODSEQ', 'RFC822.SIZE', 'INTERNALDATE'];
  for (const opt of ['DIGEST.SHA1', 'SAVEDATE', 'CREATEDMODSEQ']) {
    const r = await c.command('UID', 'FETCH', '1', opt);
    if (r.status === 'OK') items.push(opt);
  }
  return items;
}

async function dump(port: number, user: string, reader: string, out: string): Promise<void> {
  const c = await connectAs(port, user);
  try {
    const st = await c.examine('INBOX');
    const items = await fetchItems(c);
    const fetched = await c.uidFetch('1:*', `${items.join(' ')} BODY.PEEK[]`);
    let crcs: string | null = null;
    if (has(c, 'METADATA')) crcs = await c.getMetadata('INBOX', '/shared/vendor/cmu/cyrus-imapd/synccrcs');
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
    const r = await connectAs(port, reader);
    await r.examine(`user.${user}`);
    const readerFetch = await r.uidFetch('1:*', 'UID FLAGS');
    await r.logout();
    const readerSeen = readerFetch
      .filter((m) => flagsOf(m).includes('\\Seen'))
      .map((m) => Number(m.attrs.get('UID')))
      .sort((a, b) => a - b);
    const raw = fetched.map((m) => Object.fromEntries([...m.attrs].filter(([k]) => k !== 'BODY[]').map(([k, v]) => [k, show(v)])));
    writeFileSync(
      join(out, 'imap.json'),
      JSON.stringify({ capabilities: c.capabilities, fetch_items: items, examine: { ...st, highestmodseq: String(st.highestmodseq) }, synccrcs: crcs, fetch: raw, reader_fetch: readerFetch.map((m) => Object.fromEntries([...m.attrs].map(([k, v]) => [k, show(v)]))) }, null, 1) + '\n',
    );
    const expected = {
      mailbox: `user.${user}`,
      uidvalidity: st.uidvalidity,
      uidnext: st.uidnext,
      highestmodseq: Number(st.highestmodseq),
      exists: st.exists,
      stored_sync_crc: crcs === null ? null : { basic, annot },
      reader,
      reader_seen: readerSeen,
      messages,
    };
    writeFileSync(join(out, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');
    console.log(`dumped user.${user}: ${messages.length} messages, items ${items.join(' ')}, synccrcs ${JSON.stringify(crcs)}, ${reader} sees ${readerSeen.join(',')}`);
  } finally {
    await c.logout();
  }
}

const show = (v: Sexp): unknown => (Buffer.isBuffer(v) ? v.toString('latin1') : Array.isArray(v) ? v.map(show) : v);

const [cmd, ...a] = process.argv.slice(2);
const run: Record<string, () => Promise<void>> = {
  create: () => create(Number(a[0]), a[1]!),
  'verify-corpus': () => verifyCorpus(Number(a[0]), a[1]!, a[2]!),
  populate: () => populate(Number(a[0]), Number(a[1]), a[2]!, a[3]!, a[4]!),
  dump: () => dump(Number(a[0]), a[1]!, a[2]!, a[3]!),
};
const fn = run[cmd ?? ''];
if (!fn) {
  console.error(`usage: lab-client.js ${Object.keys(run).join('|')} ...`);
  process.exit(2);
}
fn().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
