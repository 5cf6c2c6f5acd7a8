// The options of a command-line tool, read the same way by every tool: -h/--help prints the tool's
// usage and exits 0 before any work (nothing started, nothing reached over the network), and a
// mistyped option is one line and exit 2, not a parseArgs stack trace.
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * parseArgs in strict mode with -h/--help added. `command` is the npm script's name, used in the
 * error line; `help` is the whole usage text.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  command: string,
  help: string,
  config: T,
): Parsed<T> {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({
      ...config,
      strict: true,
      options: { ...config.options, help: { type: 'boolean', short: 'h' } },
    }) as Parsed<T>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
    // Node's first sentence names the option; the rest is advice about '--' that rarely applies here.
    usageError(command, (error as Error).message.split('. ')[0]!.replace(/\.$/, ''));
  }
  if ((parsed.values as { help?: boolean }).help) {
    // Writes to a pipe or file are synchronous on Linux, so exiting right away loses nothing.
    process.stdout.write(help.endsWith('\n') ? help : `${help}\n`);
    process.exit(0);
  }
  return parsed;
}

/** A wrong option or value: one line on stderr pointing at --help, exit 2. */
export function usageError(command: string, message: string): never {
  process.stderr.write(`${command}: ${message} (xem / see: npm run ${command} -- --help)\n`);
  process.exit(2);
}

/**
 * A whole-number option (devices, seconds, runs …) of at least `min`: "2k" or "-1" is a usage error
 * here rather than a NaN that silently empties a run later.
 */
export function wholeNumber(command: string, option: string, text: string, min = 0): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    usageError(command, `--${option} needs a whole number ≥ ${min}, not '${text}'`);
  return value;
}
