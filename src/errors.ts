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
 * Makes text from a (possibly hostile) file safe to print on one terminal line: control
 * characters become visible escapes (\n, \x1b …) and very long text is cut.
 */
export function printable(text: string, max = 500, keepNewlines = false): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => {
    if (ch === '\n') return keepNewlines ? ch : '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
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
    super(`${printable(file)}: ${printable(cause_, 1000)}`, 2);
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

/** The worker thread computing a spectrum crashed or exited: that layer fails, not the run. */
export class WorkerCrash extends Error {
  override readonly name = 'WorkerCrash';
}
