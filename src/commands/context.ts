/** What every subcommand gets from the CLI shell: its streams and environment. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Colour for stdout, as most terminal tools decide it: `always` / `never` (or --no-color) as
 * said; `auto`: never with NO_COLOR (non-empty), else forced by FORCE_COLOR (unless 0 or
 * false), else only on a terminal.
 */
export function useColor(io: CliIO, choice: string | boolean): boolean {
  if (choice === 'always' || choice === true) return true;
  if (choice === 'never' || choice === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return io.stdout.isTTY === true;
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
