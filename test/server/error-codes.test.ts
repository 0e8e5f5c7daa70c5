import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/server/ → the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('every layer error code thrown in src/ is documented in docs/errors.md', async () => {
  const doc = await readFile(join(ROOT, 'docs/errors.md'), 'utf8');
  const codes = new Set<string>();
  for (const file of await sources(join(ROOT, 'src'))) {
    const text = await readFile(file, 'utf8');
    // Codes are string literals such as 'STRONGBOX_BLOB_MISSING' (environment variable names
    // like STRONGBOX_ROOT_ACCESS_KEY are not error codes).
    for (const m of text.matchAll(/'(STRONGBOX_[A-Z_]+)'/g)) {
      if (!/_(ACCESS|SECRET)_KEY$/.test(m[1]!)) codes.add(m[1]!);
    }
  }
  assert.ok(codes.size >= 5, 'found the codes');
  for (const code of codes) assert.ok(doc.includes(`\`${code}\``), `${code} is missing from docs/errors.md`);
});
