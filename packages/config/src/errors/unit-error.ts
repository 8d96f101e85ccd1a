/** The kinds of value Wasmtime's cache settings are written in. */
export type UnitKind = 'size' | 'count' | 'duration' | 'percent';

/** Thrown by the unit parsers: the text is not a valid value of that kind. */
export class UnitParseError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_UNIT_INVALID' as const;

  constructor(
    /** Which kind of value was expected. */
    readonly kind: UnitKind,
    /** The text as given. */
    readonly input: string,
    /** Why it was refused. */
    readonly reason: string,
  ) {
    super(`Invalid ${kind} ${JSON.stringify(input)}: ${reason}`);
    this.name = 'UnitParseError';
  }
}
