/**
 * The import graph of the TypeScript sources, built from the files themselves (not from dist/),
 * and the strongly connected components of it. Used by import-cycles.test.ts; see
 * docs/adr/0008-layers-and-imports.md for which edges count.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Resolved path of the imported file, relative to the root given to buildImportGraph. */
  readonly to: string;
  /** True for `import type`, `export type … from` and `typeof import('…')`: erased at run time. */
  readonly typeOnly: boolean;
}

/** File → the project files it imports. Package and `node:` imports are left out. */
export type ImportGraph = ReadonlyMap<string, readonly ImportEdge[]>;

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(path));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `./x.js` → `./x.ts` (or `.tsx`, or `./x/index.ts`), as NodeNext resolution finds it. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), specifier);
  const stem = base.replace(/\.(js|jsx|mjs|ts|tsx)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Every module specifier in one source text, with whether the import is erased at run time. */
export function scanImports(fileName: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      // Under verbatimModuleSyntax `import { type A }` still loads the module; only `import type` is erased.
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly ?? false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) found.push({ specifier: expr.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0]!)
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The import graph of every .ts/.tsx file under `dir`; names are relative to `root`, with `/`. */
export function buildImportGraph(root: string, dir: string): ImportGraph {
  const name = (path: string) => relative(root, path).split(sep).join('/');
  const graph = new Map<string, ImportEdge[]>();
  for (const file of listSources(join(root, dir))) {
    const edges: ImportEdge[] = [];
    for (const { specifier, typeOnly } of scanImports(file, readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(file, specifier);
      if (target === undefined) {
        if (specifier.startsWith('.')) throw new Error(`${name(file)}: cannot resolve import '${specifier}'`);
        continue;
      }
      edges.push({ to: name(target), typeOnly });
    }
    graph.set(name(file), edges);
  }
  return graph;
}

/**
 * The cycles of a graph: one entry per strongly connected component with more than one file
 * (or a file importing itself), each given as one concrete closed path `a → b → … → a`.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const nodes = [...new Set([...graph.keys(), ...[...graph.values()].flat()])].sort();
  const next = (n: string) => graph.get(n) ?? [];
  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: { node: string; child: number }[] = [{ node: start, child: 0 }];
    index.set(start, counter); low.set(start, counter); counter++;
    stack.push(start); onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const children = next(frame.node);
      if (frame.child < children.length) {
        const child = children[frame.child++]!;
        if (!index.has(child)) {
          index.set(child, counter); low.set(child, counter); counter++;
          stack.push(child); onStack.add(child);
          work.push({ node: child, child: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || next(frame.node).includes(frame.node)) components.push(component.sort());
      }
    }
  }
  return components
    .map((component) => cycleThrough(graph, new Set(component), component[0]!))
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** A shortest closed path from `start` back to itself inside one component (breadth first). */
function cycleThrough(graph: ReadonlyMap<string, readonly string[]>, members: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const child of graph.get(node) ?? []) {
      if (!members.has(child)) continue;
      if (child === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(child)) {
        previous.set(child, node);
        queue.push(child);
      }
    }
  }
  return [start, start];
}

/** The graph with only the edges a cycle check counts (all of them, or only run-time ones). */
export function edgesOf(graph: ImportGraph, options: { includeTypeOnly: boolean }): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [file, edges] of graph) {
    out.set(file, [...new Set(edges.filter((e) => options.includeTypeOnly || !e.typeOnly).map((e) => e.to))]);
  }
  return out;
}
