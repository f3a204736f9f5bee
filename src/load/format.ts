/**
 * The contract every model format implements, so that src/load/index.ts can detect and
 * open a path by walking a registry (netron's match/open split): `sniff` decides from the
 * first bytes alone, `open` does the parsing. Adding a format is one module plus one line
 * in the registry; no format module imports another's detection.
 */
import type { LoadedModel } from '../types.js';
import type { FileSource } from './file.js';

/** How many leading bytes detection reads; every sniff must decide from these. */
export const SNIFF_BYTES = 16;

export interface ModelFormatModule {
  /** The detected-format name (also what errors and tests refer to). */
  readonly name: string;
  /** True when `head` (the first ≤ SNIFF_BYTES bytes of a file of `size` bytes) is this format. */
  readonly sniff: (head: Uint8Array, path: string, size: number) => boolean;
  /** When no sniff matched, a name matching this picks the reader, whose error is then specific. */
  readonly extension?: RegExp;
  /**
   * Opens the file; bad input throws FormatError (the dispatcher names the path). `source`
   * is the file already opened and checked by the dispatcher: the reader keeps (or closes)
   * it rather than opening the path again, so the file detected is the file read.
   */
  readonly open: (path: string, source?: FileSource) => Promise<LoadedModel>;
}
