import { Command, type ParseOptionsResult } from 'commander';
import { namedFloat } from './float-names.js';

/** Put before such an argument while commander parses, so that it does not start with a dash; removed after (no argument holds a NUL: argv cannot). */
const MARK = '\u0000';

/** Whether `arg` is a negative argument commander would take for an option: `-inf`, `-infinity`, `-nan` (any case; see {@link namedFloat}) or an i64 such as `-5n`. */
const isNegativeOperand = (arg: string): boolean => arg.startsWith('-') && (namedFloat(arg) !== undefined || /^-\d+n$/.test(arg));

const unmark = (arg: string): string => (arg.startsWith(MARK) ? arg.slice(MARK.length) : arg);

/**
 * A commander `Command` that reads `-inf`, `-infinity`, `-nan` and negative
 * i64s (`-5n`) as arguments (`run m.wasm --invoke f -inf -5n`), as it reads
 * `-1.5`. Commander tells a negative number from an option by a pattern of
 * digits alone, so it refused these as unknown options; none of them can be
 * an option of this command line (its short options are one letter). Its
 * subcommands are of this class too (see
 * {@link NegativeOperandsCommand.createCommand}).
 */
export class NegativeOperandsCommand extends Command {
  /** Subcommands (`program.command(name)`) are made here: of this class, so each reads these arguments as well. */
  override createCommand(name?: string): NegativeOperandsCommand {
    return new NegativeOperandsCommand(name);
  }

  /** Commander's parsing, with those arguments marked as such, except one that is the value of an option before it (`--dir -nan`). */
  override parseOptions(args: string[]): ParseOptionsResult {
    const marked = args.map((arg, index) => (isNegativeOperand(arg) && !this.#takesValue(args[index - 1]) ? `${MARK}${arg}` : arg));
    const { operands, unknown } = super.parseOptions(marked);
    return { operands: operands.map(unmark), unknown: unknown.map(unmark) };
  }

  /** Whether `arg` is one of this command's options that takes the next argument as its value (`--invoke f`). */
  #takesValue(arg: string | undefined): boolean {
    return arg !== undefined && this.options.some((option) => (option.long === arg || option.short === arg) && option.required);
  }
}
