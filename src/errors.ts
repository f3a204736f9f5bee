/**
 * Errors that end a run. Each maps to an exit code and prints as one line; anything else
 * that escapes is a bug (printed with its stack under --debug).
 * Per-layer numerical problems are not errors: they are `skipped`/`failed` results.
 */
export class RmtError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command line or configuration: exit 2. */
export class UsageError extends RmtError {
  constructor(message: string) {
    super(message, 2);
  }
}

/**
 * A model file (or its external data) cannot be read: exit 2, and the message names the
 * file first: `model.onnx: tensor 'fc1.weight' points past the end of its data file`.
 */
export class InputError extends RmtError {
  constructor(
    readonly file: string,
    readonly cause_: string,
  ) {
    super(`${file}: ${cause_}`, 2);
  }
}

/**
 * Thrown by low-level readers that do not know the file name; the loader catches it at
 * its boundary and rethrows an InputError naming the file.
 */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}
