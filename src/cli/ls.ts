import type { Command } from 'commander';

/** `strongbox ls` (issue 5): not written yet. */
export function registerLs(program: Command): void {
  void program;
}
