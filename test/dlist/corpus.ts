// Real dlists for the round-trip, stream and fuzz tests: the cyrus.header lines and
// mailboxes.db values Cyrus 3.6.1 wrote into the fixtures, and the sync-protocol transcript of
// spec cyrus-db-seen-dlist.md §10.3 (3.6.1 client → 3.6.1 server) plus the §9.7 example.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INDEX_VERSIONS, indexFixture, seenFixture } from '../helpers/fixtures.js';

const MAGIC_LEN = 115;

/** The dlist line of every fixture cyrus.header (without the magic and the final LF). */
export function headerDlists(): Buffer[] {
  const dirs = [
    ...INDEX_VERSIONS.map((v) => indexFixture(v)),
    ...['user.fxseen', 'user.fxseen.NoSeen', 'shared.fxteam', 'deleted-mailbox'].map((m) => join(seenFixture(), m)),
  ];
  return dirs.map((d) => {
    const b = readFileSync(join(d, 'mailbox', 'cyrus.header'));
    return b.subarray(MAGIC_LEN, b.length - 1);
  });
}

/** Every non-empty value of the seen fixture's mailboxes.db (cyr_dbtool show: key TAB value LF). */
export function mboxlistValues(): Buffer[] {
  const raw = readFileSync(join(seenFixture(), 'mailboxes.db.cyr_dbtool.txt'));
  const out: Buffer[] = [];
  for (let p = 0; p < raw.length; ) {
    const lf = raw.indexOf(0x0a, p);
    const line = raw.subarray(p, lf);
    out.push(Buffer.from(line.subarray(line.indexOf(0x09) + 1)));
    p = lf + 1;
  }
  return out.filter((v) => v.length);
}

const T = '\t';
const ACL = `"foo${T}lrswipkxtecdan${T}cyrus${T}lrswipkxtecda${T}bar${T}lrs${T}"`;
/** 46 bytes standing in for the message the transcript elides (its GUID is not this SHA-1). */
export const TRANSCRIPT_MESSAGE = Buffer.from('From: a@b\r\nTo: c@d\r\nSubject: x\r\n\r\nhello world\r\n', 'latin1').subarray(0, 46);

/**
 * §10.3's client side, byte for byte, where the spec elides text (`…`) filled with values of
 * the same shape: the ACL from the GET MAILBOXES reply, UID 3's record and UID 4's annotations.
 */
export function transcriptClient(): Buffer {
  const ann = (v: string) =>
    `ANNOTATIONS (%(ENTRY /vendor/cmu/cyrus-imapd/savedate USERID "" MODSEQ 0 VALUE ${v}) %(ENTRY /vendor/cmu/cyrus-imapd/createdmodseq USERID "" MODSEQ 0 VALUE 4))`;
  const lines: Array<string | Buffer> = [
    'AUTHENTICATE PLAIN AHJlcGwAcHc=\r\n',
    'APPLY CAPABILITIES (SIEVE-MAILBOX)\r\n',
    'GET MAILBOXES (user.foo)\r\n',
    'APPLY RESERVE %(PARTITION default MBOXNAME (user.foo) GUID (fa45cffb05b14f8693cd24efd711dcdf9bf0a046))\r\n',
    'APPLY MESSAGE (%{default fa45cffb05b14f8693cd24efd711dcdf9bf0a046 46}\r\n',
    TRANSCRIPT_MESSAGE,
    ')\r\n',
    `APPLY MAILBOX %(UNIQUEID 223uo64ji93ogzn1doe4zpnz MBOXNAME user.foo SYNC_CRC 1112956307 SYNC_CRC_ANNOT 1119656747 LAST_UID 4 HIGHESTMODSEQ 16 RECENTUID 4 RECENTTIME 1795887881 LAST_APPENDDATE 1795887881 POP3_LAST_LOGIN 0 POP3_SHOW_AFTER 0 UIDVALIDITY 1795887675 PARTITION default ACL ${ACL} OPTIONS P CREATEDMODSEQ 1 FOLDERMODSEQ 11 ANNOTATIONS (%(ENTRY /comment USERID "" MODSEQ 0 VALUE {17+}\r\nhe said "hi" 100%)) SINCE_MODSEQ 10 SINCE_CRC 928201604 SINCE_CRC_ANNOT 1363284824 RECORD (` +
      `%(UID 1 MODSEQ 15 LAST_UPDATED 1795887881 FLAGS (\\Deleted \\Expunged \\Seen) INTERNALDATE 1795887674 SIZE 137 GUID 6001ff35a49bb4e697fc9fe99f2c0f858f5cfb33 ${ann('1795887674')}) ` +
      `%(UID 3 MODSEQ 12 LAST_UPDATED 1795887700 FLAGS (\\Seen) INTERNALDATE 1795887674 SIZE 140 GUID 5e1e0a7c3c86f3cf1b1f0e1b0d0f6a8a7e0f5b21 ${ann('1795887674')}) ` +
      `%(UID 4 MODSEQ 16 LAST_UPDATED 1795887881 FLAGS (\\Answered $Label1) INTERNALDATE 1795887881 SIZE 46 GUID fa45cffb05b14f8693cd24efd711dcdf9bf0a046 ${ann('1795887881')})))\r\n`,
    'RESTART\r\n',
    'APPLY SEEN %(USERID bar UNIQUEID 223uo64ji93ogzn1doe4zpnz LASTREAD 1795887881 LASTUID 4 LASTCHANGE 1795887881 SEENUIDS 2,4)\r\n',
    'EXIT\r\n',
  ];
  return Buffer.concat(lines.map((l) => (typeof l === 'string' ? Buffer.from(l, 'latin1') : l)));
}

/** §10.3's server side (no elisions there besides the ACL's TABs, written as TABs). */
export function transcriptServer(): Buffer {
  return Buffer.from(
    [
      '* SASL PLAIN',
      '* SIEVE-MAILBOX',
      '* OK mastera Cyrus sync server 3.6.1-Debian-3.6.1-4+deb12u5',
      'OK Success (no protection)',
      '* ENABLED (SIEVE-MAILBOX)',
      'OK success',
      `* MAILBOX %(UNIQUEID 223uo64ji93ogzn1doe4zpnz MBOXNAME user.foo SYNC_CRC 928201604 SYNC_CRC_ANNOT 1363284824 LAST_UID 3 HIGHESTMODSEQ 10 RECENTUID 3 RECENTTIME 1795887674 LAST_APPENDDATE 1795887674 POP3_LAST_LOGIN 0 POP3_SHOW_AFTER 0 UIDVALIDITY 1795887675 PARTITION default ACL ${ACL} OPTIONS P CREATEDMODSEQ 1 FOLDERMODSEQ 3)`,
      'OK success',
      '* MISSING (fa45cffb05b14f8693cd24efd711dcdf9bf0a046)',
      'OK success',
      'OK success',
      'OK success',
      'OK Restarting',
      'OK success',
      'OK Finished',
    ]
      .map((l) => l + '\r\n')
      .join(''),
    'latin1',
  );
}

/** §9.7: the 2010 example line (its parser/printer sanity check). */
export const EXAMPLE_2010 =
  'APPLY MAILBOX %(UNIQUEID 74b8ef164c33c1b8 MBOXNAME user.foo LAST_UID 1 HIGHESTMODSEQ 1 RECENTUID 0 RECENTTIME 0 LAST_APPENDDATE 1278460344 POP3_LAST_LOGIN 0 UIDVALIDITY 1278460344 PARTITION default ACL "foo lrswipkxtecda admin lrswipkxtecd " TYPE NORMAL OPTIONS P SYNC_CRC 123100176 RECORD (%(UID 1 MODSEQ 1 LAST_UPDATED 1278460344 FLAGS (\\Flagged) INTERNALDATE 1268029091 SIZE 92 GUID 196922b6d822b618c665874fb523b9058a0adb56)))\r\n';
