import { expect } from 'vitest';
import type { CliRun } from './helpers.js';

/** The one line a failure prints: `error: …`, no stack trace. */
export function errorLine(run: CliRun): string {
  expect(run.stderr).not.toMatch(/\n\s+at /);
  const lines = run.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(lines, run.stderr).toHaveLength(1);
  return lines[0] ?? '';
}
