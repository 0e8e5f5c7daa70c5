import type { Command } from 'commander';

/** `strongbox verify` (issue 5): not written yet. */
export function registerVerify(program: Command): void {
  void program;
}
