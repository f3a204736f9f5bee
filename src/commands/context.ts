/** What every subcommand gets from the CLI shell: its streams and environment. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** Colour for stdout: wanted, not vetoed by NO_COLOR, and stdout is a terminal. */
export function useColor(io: CliIO, wanted: boolean): boolean {
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  return wanted && !noColor && io.stdout.isTTY === true;
}

/**
 * The width the table must fit: COLUMNS when set (it wins, as for most terminal tools), else the
 * terminal's width when stdout is one; undefined (unlimited) when piped.
 */
export function terminalWidth(io: CliIO): number | undefined {
  const fromEnv = Number(io.env.COLUMNS);
  if (io.env.COLUMNS !== undefined && /^\s*\d+\s*$/.test(io.env.COLUMNS) && fromEnv > 0) return fromEnv;
  const columns = (io.stdout as { columns?: number }).columns;
  return io.stdout.isTTY === true && typeof columns === 'number' && columns > 0 ? columns : undefined;
}
