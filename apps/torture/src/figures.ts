/** One measured figure and, where it is an invariant, the value it must have. */
export interface Figure {
  section: string;
  name: string;
  value: number;
  /** The required value (e.g. 0 damaged entries served); absent for plain counts. */
  mustBe?: number;
}

/** Collects figures; `violations()` lists the invariants broken. */
export class Figures {
  readonly all: Figure[] = [];

  constructor(readonly section: string) {}

  count(name: string, value: number): void {
    this.all.push({ section: this.section, name, value });
  }

  require(name: string, value: number, mustBe: number): void {
    this.all.push({ section: this.section, name, value, mustBe });
  }
}

/** The figures whose invariant was broken. */
export function violations(figures: readonly Figure[]): Figure[] {
  return figures.filter((f) => f.mustBe !== undefined && f.value !== f.mustBe);
}
