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
 * Characters that change how text is shown without being seen, escaped wherever model text
 * is printed: C0/C1 controls (ESC starts terminal sequences, CR and BEL rewrite or ring),
 * line and paragraph separators, bidirectional embeddings, overrides and isolates
 * (U+202A–202E, U+2066–2069: "Trojan Source", CVE-2021-42574), zero-width and other
 * invisible format characters (U+200B–200F, U+2060–206F, U+FEFF, U+00AD, U+061C, U+180E),
 * interlinear annotation marks (U+FFF9–FFFB) and the invisible tag characters U+E0000–E007F.
 */
export const UNSEEN = new RegExp(
  String.raw`[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e` +
    String.raw`\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]`,
  'gu',
);

/** The visible escape of one UNSEEN character: `\x1b` for C0/C1 controls, `\u{202e}` otherwise. */
export function escapeUnseen(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code <= 0x9f ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * A GitHub Actions runner reads a log line that starts, after blanks, with `::` (or the
 * legacy `##[`) as a workflow command (`::stop-commands::`, `::error::`, `::add-mask::` …;
 * docs.github.com, "Workflow commands for GitHub Actions"). Model text that would start such
 * a line gets its first character escaped (`\x3a:error…`), which the runner ignores.
 */
export function defuseWorkflowCommand(line: string): string {
  return line.replace(
    /^(\s*)(?::(?=:)|#(?=#\[))/u,
    (m, blanks: string) => blanks + (m.endsWith(':') ? '\\x3a' : '\\x23'),
  );
}

/**
 * Makes text from a (possibly hostile) file safe to print on one terminal line: control,
 * bidirectional and invisible characters become visible escapes (\n, \x1b, \u{202e} …), a
 * line that would start a GitHub workflow command is defused, and very long text is cut.
 */
export function printable(text: string, max = 500, keepNewlines = false): string {
  const escaped = text.replace(UNSEEN, (ch) => {
    if (ch === '\n') return keepNewlines ? ch : '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    return escapeUnseen(ch);
  });
  const safe = keepNewlines
    ? escaped.split('\n').map(defuseWorkflowCommand).join('\n')
    : defuseWorkflowCommand(escaped);
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
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
