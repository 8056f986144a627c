import { FormatError } from '../../src/errors.js';

/** Runs `fn` and returns the FormatError it throws; any other outcome fails the test. */
export function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error('expected a FormatError');
}
