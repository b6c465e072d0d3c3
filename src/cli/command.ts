/** What every `hotworker <command>` provides. */
export interface Command {
  /** The word after `hotworker`. */
  readonly name: string;
  /** One line for `hotworker --help`. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** How this command's flags name the library's options, for advice in errors (`loadTimeout` → `--load-timeout`). */
  readonly optionNames?: Readonly<Record<string, string>>;
  /** Runs the command; resolves with the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}
