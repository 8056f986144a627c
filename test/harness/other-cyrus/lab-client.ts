// The IMAP/LMTP side of make-fixtures.sh: talks to a Cyrus running inside a Debian chroot on
// 127.0.0.1, with the harness's own clients (test/harness/imap.ts, lmtp.ts, mime.ts). Compiled
// by make-fixtures.sh with tsc into a temporary folder and run with node:
//   create <imap port> <mailbox>                       admin CREATE
//   verify-corpus <imap port> <user> <MANIFEST.tsv>    every message's BODY[] SHA-1 = manifest
//   populate <imap port> <lmtp port> <user> <label>    the index fixture's mailbox (below)
//   dump <imap port> <user> <out folder>               imap.json + expected.json (Cyrus's view)
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
  return c;
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const bytesOf = (v: Sexp | undefined) => (Buffer.isBuffer(v) ? v : Buffer.from(sexpString(v ?? null), 'utf8'));

async function create(port: number, mailbox: string): Promise<void> {
  const c = await connectAs(port);
  try {
    await c.create(mailbox);
  } finally {
    await c.logout();
  }
}

/** Fetches every message of the user's INBOX and compares its bytes with the manifest's SHA-1. */
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
      // A message holding NUL bytes comes as a literal8 (~{n}, RFC 3516), which imap.ts does not parse.
      else if (body.subarray(0, 2).toString('latin1') === '~{') literal8.push(uid);
      else differ.push(`uid ${uid}: BODY[] is ${body.length} bytes ${JSON.stringify(body.subarray(0, 60).toString("latin1"))}, sha1 ${got}; the file has sha1 ${want.get(uid)}`);
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
 */
async function populate(imapPort: number, lmtpPort: number, user: string, label: string): Promise<void> {
  const rng = new Rng(0x0c0ffee);
  await create(imapPort, `user.${user}`);
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
    if (reply?.code !== 250) throw new Error(`LMTP delivery refused: ${reply?.code} ${reply?.lines.join(" / ")}`);
    // uids: 1..9 appended, 10 delivered.
    await c.uidStore('1,2,3,5,8,10', '+', ['\\Seen']);
    await c.uidStore('2', '+', ['\\Answered']);
    await c.uidStore('3', '+', ['\\Flagged']);
    await c.uidStore('4', '+', ['\\Draft']);
    await c.uidStore('1,3', '+', ['$Label1']);
    await c.uidStore('3,9', '+', ['Work']);
    await c.uidStore('2,5', '+', ['todo']);
    await c.uidStore('5', '-', ['todo']);
    await c.storeAnnotation('1', '/comment', `private note written by Cyrus ${label}`, 'priv');
    await c.storeAnnotation('2', '/comment', `shared note written by Cyrus ${label}`, 'shared');
    await c.storeAnnotation('6', '/comment', 'on a message about to be expunged', 'shared');
    await c.uidStore('6,7', '+', ['\\Deleted']);
    await c.uidExpunge('6');
    console.log(`populated user.${user}: uids ${[...uids, 10].join(',')}, uid 6 expunged, uid 7 \\Deleted`);
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

/** Cyrus's own view of the user's INBOX, read-only (EXAMINE): what the tests compare against. */
async function dump(port: number, user: string, out: string): Promise<void> {
  const c = await connectAs(port, user);
  try {
    const st = await c.examine('INBOX');
    const fetched = await c.uidFetch('1:*', 'UID FLAGS MODSEQ RFC822.SIZE INTERNALDATE SAVEDATE CREATEDMODSEQ DIGEST.SHA1 BODY.PEEK[]');
    // The SYNC_CRCs as stored in the index header ("basic annot"), as imapd reads them.
    const crcs = await c.getMetadata('INBOX', '/shared/vendor/cmu/cyrus-imapd/synccrcs');
    const [basic, annot] = (crcs ?? '').split(' ').map(Number);
    const messages = fetched
      .map((m) => ({
        uid: Number(m.attrs.get('UID')),
        flags: flagsOf(m),
        modseq: Number(atom(m.attrs.get('MODSEQ'))),
        size: Number(m.attrs.get('RFC822.SIZE')),
        internaldate: sexpString(m.attrs.get('INTERNALDATE') ?? null),
        savedate: sexpString(m.attrs.get('SAVEDATE') ?? null),
        createdmodseq: Number(atom(m.attrs.get('CREATEDMODSEQ'))),
        guid: sexpString(m.attrs.get('DIGEST.SHA1') ?? null),
        body_sha1: sha1(bytesOf(m.attrs.get('BODY[]'))),
      }))
      .sort((a, b) => a.uid - b.uid);
    const raw = fetched.map((m) => Object.fromEntries([...m.attrs].filter(([k]) => k !== 'BODY[]').map(([k, v]) => [k, show(v)])));
    writeFileSync(join(out, 'imap.json'), JSON.stringify({ examine: { ...st, highestmodseq: String(st.highestmodseq) }, synccrcs: crcs, fetch: raw }, null, 1) + '\n');
    const expected = {
      mailbox: `user.${user}`,
      uidvalidity: st.uidvalidity,
      uidnext: st.uidnext,
      highestmodseq: Number(st.highestmodseq),
      exists: st.exists,
      stored_sync_crc: { basic, annot },
      messages,
    };
    writeFileSync(join(out, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');
    console.log(`dumped user.${user}: ${messages.length} messages, synccrcs "${crcs}"`);
  } finally {
    await c.logout();
  }
}

const show = (v: Sexp): unknown => (Buffer.isBuffer(v) ? v.toString('latin1') : Array.isArray(v) ? v.map(show) : v);

const [cmd, ...a] = process.argv.slice(2);
const run: Record<string, () => Promise<void>> = {
  create: () => create(Number(a[0]), a[1]!),
  'verify-corpus': () => verifyCorpus(Number(a[0]), a[1]!, a[2]!),
  populate: () => populate(Number(a[0]), Number(a[1]), a[2]!, a[3]!),
  dump: () => dump(Number(a[0]), a[1]!, a[2]!),
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
