import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImportGraph, edgesOf, findCycles, scanImports } from './import-graph.js';

// dist/test/layers/ → the repository root; the graph is read from the TypeScript sources.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const show = (cycles: string[][]): string => cycles.map((c) => `  ${c.join(' → ')}`).join('\n');

test('src/ has no import cycle, type-only imports included (docs/adr/0008-layers-and-imports.md)', () => {
  const graph = buildImportGraph(ROOT, 'src');
  // A scanner that found nothing would pass vacuously: check it sees the pipeline's known edges.
  assert.ok(graph.size > 100, `read ${graph.size} files`);
  const pipeline = graph.get('src/server/handle-request.ts')?.map((e) => e.to) ?? [];
  assert.ok(pipeline.includes('src/s3/index.ts'), 'handle-request.ts imports the operations');
  assert.ok(pipeline.includes('src/errors/s3-error.ts'), 'handle-request.ts imports the S3 errors');
  const cycles = findCycles(edgesOf(graph, { includeTypeOnly: true }));
  assert.deepEqual(cycles, [], `import cycles in src/ (move the shared part into a leaf module such as types.ts):\n${show(cycles)}`);
});

test('leaf modules import nothing of the project, dynamic imports included (ADR 0008)', () => {
  const graph = buildImportGraph(ROOT, 'src');
  const LEAVES = [/^src\/errors\//, /^src\/testing\//, /^src\/(log|private-file)\.ts$/, /^src\/(kms|checksum|auth)\/types\.ts$/];
  const offending: string[] = [];
  for (const [file, edges] of graph) {
    if (!LEAVES.some((leaf) => leaf.test(file))) continue;
    // A leaf folder may use its own files; a leaf module nothing at all.
    const folder = file.slice(0, file.lastIndexOf('/') + 1);
    const ownFolderOk = /^src\/(errors|testing)\//.test(file);
    for (const { to } of edges) if (!(ownFolderOk && to.startsWith(folder))) offending.push(`${file} → ${to}`);
  }
  assert.ok([...graph.keys()].some((f) => f.startsWith('src/errors/')), 'src/errors/ exists');
  assert.deepEqual(offending, []);
});

test('findCycles: finds each cycle once, self-imports too, and nothing in a DAG', () => {
  const dag = new Map([
    ['a', ['b', 'c']],
    ['b', ['c']],
    ['c', []],
  ]);
  assert.deepEqual(findCycles(dag), []);
  const cyclic = new Map([
    ['a', ['b']],
    ['b', ['c', 'd']],
    ['c', ['a']],
    ['d', ['d']],
    ['e', ['f']],
    ['f', ['e', 'a']],
  ]);
  assert.deepEqual(findCycles(cyclic), [['a', 'b', 'c', 'a'], ['d', 'd'], ['e', 'f', 'e']]);
  // Deep chains are walked without recursion.
  const chain = new Map(Array.from({ length: 20_000 }, (_, i) => [`n${i}`, [`n${(i + 1) % 20_000}`]]));
  assert.equal(findCycles(chain)[0]?.length, 20_001);
});

test('scanImports: every form of import, and which are erased at run time', () => {
  const text = [
    "import a from './a.js';",
    "import type { B } from './b.js';",
    "import { type C } from './c.js';",
    "import './d.js';",
    "export { e } from './e.js';",
    "export type { F } from './f.js';",
    "export * from './g.js';",
    "const h = await import('./h.js');",
    "type I = typeof import('./i.js');",
    "import { j } from 'node:fs';",
    "// import { k } from './k.js';",
    "const l = \"import { l } from './l.js'\";",
  ].join('\n');
  assert.deepEqual(scanImports('x.ts', text), [
    { specifier: './a.js', typeOnly: false },
    { specifier: './b.js', typeOnly: true },
    // verbatimModuleSyntax keeps `import {} from './c.js'`: the module still loads.
    { specifier: './c.js', typeOnly: false },
    { specifier: './d.js', typeOnly: false },
    { specifier: './e.js', typeOnly: false },
    { specifier: './f.js', typeOnly: true },
    { specifier: './g.js', typeOnly: false },
    { specifier: './h.js', typeOnly: false },
    { specifier: './i.js', typeOnly: true },
    { specifier: 'node:fs', typeOnly: false },
  ]);
});

test('buildImportGraph: a cycle introduced in a fixture tree is found, through type-only imports too', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sb-layers-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'src/low'), { recursive: true });
  mkdirSync(join(root, 'src/high/nested'), { recursive: true });
  writeFileSync(join(root, 'src/low/types.ts'), 'export interface T { readonly n: number }\n');
  writeFileSync(join(root, 'src/low/index.ts'), "import type { T } from './types.js';\nexport const t: T = { n: 1 };\n");
  writeFileSync(join(root, 'src/high/nested/use.ts'), "import { t } from '../../low/index.js';\nexport const u = t;\n");
  writeFileSync(join(root, 'src/high/entry.ts'), "export { u } from './nested/use.js';\nexport const load = () => import('../low/index.js');\n");
  const acyclic = buildImportGraph(root, 'src');
  assert.deepEqual(acyclic.get('src/high/entry.ts'), [
    { to: 'src/high/nested/use.ts', typeOnly: false },
    { to: 'src/low/index.ts', typeOnly: false },
  ]);
  assert.deepEqual(findCycles(edgesOf(acyclic, { includeTypeOnly: true })), []);

  // The lower file now names a type of the higher one: a type-only cycle.
  writeFileSync(join(root, 'src/low/types.ts'), "import type { u } from '../high/nested/use.js';\nexport interface T { readonly n: number; readonly u?: typeof u }\n");
  const typeCycle = buildImportGraph(root, 'src');
  assert.deepEqual(findCycles(edgesOf(typeCycle, { includeTypeOnly: false })), []);
  assert.deepEqual(findCycles(edgesOf(typeCycle, { includeTypeOnly: true })), [
    ['src/high/nested/use.ts', 'src/low/index.ts', 'src/low/types.ts', 'src/high/nested/use.ts'],
  ]);

  // An import that resolves to no file is an error, not a missing edge.
  writeFileSync(join(root, 'src/low/broken.ts'), "import { x } from './missing.js';\nexport const y = x;\n");
  assert.throws(() => buildImportGraph(root, 'src'), /src\/low\/broken\.ts: cannot resolve import '\.\/missing\.js'/);
});
