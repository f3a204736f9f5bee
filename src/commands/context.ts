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
