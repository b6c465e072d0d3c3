/**
 * Tests that need a real service (redis-server, chromium) find it here. When the program is
 * missing they are skipped with a message that says how to install it; with
 * HOTWORKER_REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails them instead, so CI
 * always runs them.
 *
 * @example
 * const redis = service({ name: 'redis-server', program: 'redis-server', install: 'apt-get install -y redis-server' });
 * describe.skipIf(!redis.available)('fleet', () => { ... });
 * // and one test that reports the skip (or fails in CI):
 * it.runIf(!redis.available)('needs redis-server', () => redis.missing());
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ServiceCheck {
  /** The program's absolute path, when found on PATH (or at one of `paths`). */
  readonly path: string | undefined;
  /** True when the program was found. */
  readonly available: boolean;
  /** True when HOTWORKER_REQUIRE_SERVICES=1: a missing service is a failure, not a skip. */
  readonly required: boolean;
  /** The one line that says what is missing and how to install it. */
  readonly message: string;
  /**
   * Call from the one test that stands for the missing service: throws (the test fails) when
   * the service is required, otherwise prints the message once, so the skip is visible.
   */
  missing(): void;
}

export interface ServiceSpec {
  /** What the tests call it, e.g. `redis-server`. */
  readonly name: string;
  /** Program names to look for on PATH, first found wins. */
  readonly program: string | readonly string[];
  /** Absolute paths tried when PATH has none of the programs. */
  readonly paths?: readonly string[];
  /** The install command the message suggests, e.g. `apt-get install -y redis-server`. */
  readonly install: string;
}

/** Looks for a service's program and says what to do when it is missing. */
export function service(spec: ServiceSpec): ServiceCheck {
  const programs = typeof spec.program === 'string' ? [spec.program] : spec.program;
  const path = findProgram(programs, spec.paths ?? []);
  const required = process.env.HOTWORKER_REQUIRE_SERVICES === '1';
  const message = `${spec.name} is not installed (${programs.join(' or ')} not found on PATH): install it with \`${spec.install}\` to run these tests${
    required ? '; HOTWORKER_REQUIRE_SERVICES=1 makes this a failure' : '; they are skipped'
  }`;
  let told = false;
  return {
    path,
    available: path !== undefined,
    required,
    message,
    missing() {
      if (required) throw new Error(message);
      if (!told) process.stderr.write(`\n  skipped: ${message}\n`);
      told = true;
    },
  };
}

function findProgram(programs: readonly string[], paths: readonly string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  const candidates = [...programs.flatMap((program) => dirs.map((dir) => join(dir, program))), ...paths];
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
