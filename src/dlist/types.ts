// The dlist ("dumplist") data model: Cyrus's self-describing value format used by replication,
// mailboxes.db values and 3.6+ cyrus.header (spec cyrus-db-seen-dlist.md §9.1).
//
// Strings are *byte strings*: every JS char is one byte (latin1 mapping), so any byte sequence a
// Cyrus server wrote survives parse → print unchanged. Use `utf8Text()` to show one to a human.

/** NIL (a null atom). */
export interface DNil {
  readonly type: 'nil';
}
/** A string value (atom, quoted string). Printed with the IMAP astring rules (§9.2). */
export interface DAtom {
  readonly type: 'atom';
  readonly value: string;
}
/** A byte buffer ("map"); parsed literals land here. 3.6 prints it as an astring unless it holds NUL. */
export interface DBuf {
  readonly type: 'buf';
  readonly value: Buffer;
}
/** A system flag such as `\Seen`, printed raw. */
export interface DFlag {
  readonly type: 'flag';
  readonly value: string;
}
/** NUM / DATE / [2.4] MODSEQ: unsigned 64-bit, printed in decimal. */
export interface DNum {
  readonly type: 'num';
  readonly value: bigint;
}
/** HEX: 64-bit, printed as exactly 16 lowercase hex digits. */
export interface DHex {
  readonly type: 'hex';
  readonly value: bigint;
}
/** A message GUID (SHA-1), printed as 40 lowercase hex digits. */
export interface DGuid {
  readonly type: 'guid';
  readonly value: string;
}

/** Where a file literal's bytes are: in memory, in a file on disk, or not kept by the parser. */
export type FileContent =
  | { readonly kind: 'memory'; readonly data: Buffer }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'none' };

/** File literal `%{partition guid size}` CRLF + size raw bytes (§9.5). */
export interface DFile {
  readonly type: 'file';
  readonly partition: string;
  /** 40 hex digits as received (Cyrus accepts either case and prints lowercase). */
  readonly guid: string;
  readonly size: number;
  readonly content: FileContent;
}
/** ATOMLIST `( … )`: children's names are not printed. */
export interface DList {
  readonly type: 'list';
  readonly items: DlistNode[];
}
export interface DKvItem {
  readonly key: string;
  readonly value: DlistNode;
}
/** KVLIST `%( key value … )`, order preserved, duplicate keys allowed (lookups take the first). */
export interface DKvList {
  readonly type: 'kvlist';
  readonly items: DKvItem[];
}

export type DlistNode = DNil | DAtom | DBuf | DFlag | DNum | DHex | DGuid | DFile | DList | DKvList;

/** Which Cyrus generation's rules to follow where 2.4 and 3.6 differ (§9.2, §9.3). */
export type Dialect = '3.6' | '2.4';

// ---- builders -------------------------------------------------------------------------------

export const NIL: DNil = Object.freeze({ type: 'nil' });
export const atom = (value: string): DAtom => ({ type: 'atom', value });
/** An atom, or NIL when the value is missing (what `dlist_setatom` does with NULL). */
export const atomOrNil = (value: string | null | undefined): DAtom | DNil =>
  value == null ? NIL : atom(value);
export const buf = (value: Buffer | string): DBuf => ({
  type: 'buf',
  value: typeof value === 'string' ? Buffer.from(value, 'latin1') : value,
});
export const flag = (value: string): DFlag => ({ type: 'flag', value });
export const num = (value: number | bigint): DNum => ({ type: 'num', value: BigInt(value) });
export const hex = (value: number | bigint): DHex => ({ type: 'hex', value: BigInt(value) });
export const guid = (value: string): DGuid => ({ type: 'guid', value });
export const list = (...items: DlistNode[]): DList => ({ type: 'list', items });
export const kvlist = (...pairs: Array<[string, DlistNode]>): DKvList => ({
  type: 'kvlist',
  items: pairs.map(([key, value]) => ({ key, value })),
});
export const file = (partition: string, guidHex: string, size: number, content: FileContent): DFile => ({
  type: 'file',
  partition,
  guid: guidHex,
  size,
  content,
});

// ---- byte strings ---------------------------------------------------------------------------

/** The bytes of a byte string. */
export const bytesOf = (s: string): Buffer => Buffer.from(s, 'latin1');
/** A byte string holding these bytes. */
export const byteString = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
/** A byte string decoded as UTF-8, for display. */
export const utf8Text = (s: string): string => bytesOf(s).toString('utf8');
