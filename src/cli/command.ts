/** What every `hotworker <command>` provides. */
export interface Command {
  /** The word after `hotworker`. */
  readonly name: string;
  /** One line for `hotworker --help`. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** Runs the command; resolves with the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}
