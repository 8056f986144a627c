// Typed errors with stable codes. Format decoders throw FormatError (naming the file and byte
// offset); the CLI maps ExitError to fsck(8) exit codes. Findings are data, not exceptions
// (see findings.ts).

export const ExitCode = {
  OK: 0,
  REPAIRED: 1,
  PROBLEMS_LEFT: 4,
  OPERATIONAL: 8,
  USAGE: 16,
  INTERRUPTED: 32,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Why a file could not be decoded. Stable strings: tests and findings rely on them. */
export type FormatErrorCode =
  | 'TRUNCATED' // fewer bytes than the structure needs
  | 'BAD_MAGIC' // not the file type we were asked to read
  | 'BAD_VERSION' // a version we do not know
  | 'BAD_LENGTH' // a length/size field that cannot be right
  | 'BAD_CRC' // a checksum that does not match (only when the caller asked for strictness)
  | 'BAD_SYNTAX' // text or dlist that does not parse
  | 'BAD_VALUE'; // a field whose value is impossible

export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    readonly code: FormatErrorCode,
    message: string,
    /** Byte offset in the file where the problem was found. */
    readonly offset: number,
    /** The file, when the caller knows it; decoders over Buffers may leave it empty. */
    readonly file?: string,
  ) {
    super(file ? `${file}: offset ${offset}: ${message}` : `offset ${offset}: ${message}`);
  }

  /** The same error, naming the file it came from (decoders work on buffers; I/O knows the path). */
  inFile(file: string): FormatError {
    if (this.file) return this;
    return new FormatError(this.code, this.message.replace(/^offset \d+: /, ''), this.offset, file);
  }
}

/** An error that ends the command with a given exit code (usage, operational, interrupted). */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (msg: string) => new ExitError(ExitCode.USAGE, msg);
export const operationalError = (msg: string, cause?: unknown) =>
  new ExitError(ExitCode.OPERATIONAL, msg, { cause });

/** Adds the file name to a FormatError thrown while decoding `file`. */
export function withFile<T>(file: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof FormatError) throw e.inFile(file);
    throw e;
  }
}
