import type { Command } from 'commander';

/** `strongbox rotate` (issue 5): not written yet. */
export function registerRotate(program: Command): void {
  void program;
}
