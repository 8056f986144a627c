// dlist: Cyrus's dumplist format (spec cyrus-db-seen-dlist.md §9). Model, readers, writer, getters.
export * from './types.js';
export {
  parseDlist,
  parseLines,
  DlistStreamParser,
  memoryFileSink,
  discardFileSink,
  directoryFileSink,
} from './parse.js';
export type { ParseOptions, Parsed, FileSink, FileWriter, FileLiteralMeta } from './parse.js';
export { parseStrict } from './strict.js';
export { printDlist, printLine, printAstring, writeDlist, isAtom, isQuotable } from './print.js';
export type { ByteSink, PrintOptions } from './print.js';
export { getChild, toAtom, toNum64, toNum32, toHex64, toGuid, asList, asKvList } from './access.js';
