// User flags: a damaged or missing keyword name is taken from an earlier backup (or inferred from
// the replica's flags by name) before any bit is cleared; bits whose name is known nowhere are cleared with a new modseq and reported as
// lost, never silently (Cyrus's reconstruct clears the slot and the bits without a word).
import { isAtom } from '../../dlist/print.js';
import { userFlagBits, userFlagWords } from '../../format/index/index.js';
import type { Planner } from './planner.js';

export function recoverFlagNames(p: Planner): void {
  const names = p.names;
  const usedBits = new Set<number>();
  for (const { r } of p.index.records) if (r.crcOk) for (const b of userFlagBits(r.userFlags)) usedBits.add(b);
  const slotOk = (n: number) => !!names[n] && isAtom(names[n]!);
  const fromBackup = (n: number) => {
    for (const b of p.hints.flagNames) {
      const name = b.names[n];
      if (name && isAtom(name) && !names.some((x, i) => i !== n && x === name)) return { name, source: b.source };
    }
    return undefined;
  };
  // The replica prints flags by name: the one keyword it has on every message that has bit n
  // here (and that no other slot names) is slot n's name.
  const fromReplica = (n: number) => {
    const rv = p.hints.replica;
    if (!rv) return undefined;
    let cands: Set<string> | undefined;
    for (const { r } of p.index.records) {
      if (!r.crcOk || !userFlagBits(r.userFlags).includes(n)) continue;
      const rr = rv.records.find((x) => x.uid === r.uid && x.guid === r.guid);
      if (!rr) return undefined;
      const kws = rr.flags.filter((f) => !f.startsWith('\\') && !names.some((x, i) => i !== n && x.toLowerCase() === f.toLowerCase()));
      cands = new Set(cands ? kws.filter((k) => cands!.has(k)) : kws);
    }
    return cands?.size === 1 ? { name: [...cands][0]!, source: `the replica ${rv.source}` } : undefined;
  };
  for (let n = 0; n < 128; n++) {
    const present = names[n] !== undefined && names[n] !== '';
    if (slotOk(n) || (!present && !usedBits.has(n))) continue;
    const rec = fromBackup(n) ?? fromReplica(n);
    if (rec) {
      p.act({ kind: 'recover-flag-name', outcome: 'fixed', field: `flag ${n}`, from: present ? names[n] : '(none)', to: rec.name, message: `user flag ${n}: name ${present ? JSON.stringify(names[n]) + ' is invalid' : 'is missing'}; "${rec.name}" taken from ${rec.source.startsWith('the replica') ? '' : 'backup '}${rec.source}` });
      while (names.length <= n) names.push('');
      names[n] = rec.name;
    } else if (present) {
      p.act({ kind: 'clear-flag-name', outcome: 'lost', field: `flag ${n}`, from: names[n], message: `user flag ${n}: name ${JSON.stringify(names[n])} is not a valid keyword and no backup knows it; slot cleared (its bits are kept in the backup)` });
      names[n] = '';
    }
  }
  while (names.length && names[names.length - 1] === '') names.pop();
}

/** Bits of records kept that still have no name: cleared with a new modseq, reported as lost. */
export function clearUnnamedBits(p: Planner): void {
  for (const w of p.work.values()) {
    const bits = userFlagBits(w.r.userFlags);
    const lost = bits.filter((n) => !p.named(n));
    if (!lost.length) continue;
    w.r.userFlags = keywordsToWords(bits.filter((n) => p.named(n)).map((n) => p.names[n]!), p.names);
    w.bump = true;
    p.act({ kind: 'clear-unnamed-flags', outcome: 'lost', uid: w.uid, from: lost.join(','), message: `user flag bit${lost.length > 1 ? 's' : ''} ${lost.join(', ')} set with no name known anywhere: cleared (the record with them is in the backup)` });
  }
}

/** user_flags words for keywords by name; a name not in `names` takes the first free slot. */
export function keywordsToWords(keywords: readonly string[], names: string[]): number[] {
  const bits: number[] = [];
  for (const k of keywords) {
    let n = names.findIndex((x) => x.toLowerCase() === k.toLowerCase());
    if (n < 0) {
      n = names.findIndex((x) => x === '');
      if (n < 0) n = names.length;
      if (n >= 128) continue;
      while (names.length <= n) names.push('');
      names[n] = k;
    }
    bits.push(n);
  }
  return userFlagWords(bits);
}
