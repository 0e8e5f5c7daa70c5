import type { Command } from 'commander';

/** `strongbox cp` (issue 5): not written yet. */
export function registerCp(program: Command): void {
  void program;
}
