// Our decoded mailboxes.db entry in the vocabulary of Cyrus's `ctl_mboxlist -d` JSON dump
// (imap/ctl_mboxlist.c @3.6.1 dump_cb), so tests can compare with Cyrus's own decoding.
import { aclObject, mbtypeFromString, mbtypeToString, type MboxEntry } from '../../src/format/mboxlist-entry.js';

/** Our entry in ctl_mboxlist -d's vocabulary (imap/ctl_mboxlist.c @3.6.1 dump_cb). */
export function ctlMboxlistView(name: string, e: MboxEntry) {
  return {
    name,
    mtime: String(e.mtime),
    uidvalidity: String(e.uidvalidity),
    createdmodseq: String(e.createdmodseq),
    foldermodseq: String(e.foldermodseq),
    mbtype: mbtypeToString(e.mbtypeBits),
    ...(e.partition !== null ? { partition: e.partition } : {}),
    ...(e.server !== null ? { server: e.server } : {}),
    acl: aclObject(e.acl),
    uniqueid: e.uniqueid,
    ...(e.legacySpecialuse !== null ? { legacy_specialuse: e.legacySpecialuse } : {}),
    name_history: e.history.map((h) => ({
      name: h.name,
      mtime: String(h.mtime),
      uidvalidity: String(h.uidvalidity),
      createdmodseq: String(h.createdmodseq),
      foldermodseq: String(h.foldermodseq),
      mbtype: mbtypeToString(mbtypeFromString(h.mbtype)),
      ...(h.partition !== null ? { partition: h.partition } : {}), // json_string(NULL) adds nothing
    })),
  };
}

