/**
 * The import-direction check of ARCHITECTURE.md: the top-level folders form a list, and a file only
 * imports from its own folder or from folders further down the list. On top of that, workflows/
 * imports only core/ (and *types* of activities/), and core/ imports no Node module and no package
 * outside a short allowlist, because workflows bundle it into Temporal's deterministic sandbox.
 *
 * Run by CI (`npm run check:layers`); tests/unit/import-layers.test.ts proves it refuses a violation.
 * Imports are read with the TypeScript parser, so `import`, `export ... from`, `import()` and
 * `require()` all count; `import type` counts as type-only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** The layered folders, top first: a file may import from its own folder or any folder below it. */
export const LAYERS = ['scripts', 'console', 'workers', 'ops', 'activities', 'workflows', 'pipelines', 'infra', 'core'] as const;
export type Layer = (typeof LAYERS)[number];

/** Packages core/ may import (pure, sandbox-safe). Everything else, and every Node module, is refused. */
export const CORE_PACKAGES: readonly string[] = ['zod', '@temporalio/common', 'luxon'];

/** One import found in a file. `typeOnly`: erased at compile time (`import type`, `import('x').T`). */
export interface ImportRef {
  readonly specifier: string;
  readonly typeOnly: boolean;
  /** 1-based line of the import. */
  readonly line: number;
}

/** A refused import: the importing file (repo-relative), its line, what it imports, and why not. */
export interface LayerViolation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly reason: string;
}

/** Every module specifier `text` imports, with whether the import is type-only. */
export function importsOf(fileName: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: ImportRef[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const allNamedTypeOnly =
        !!clause &&
        !clause.name &&
        !!clause.namedBindings &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly);
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: !!clause?.isTypeOnly || allNamedTypeOnly, line: lineOf(node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const allTypeOnly =
        node.isTypeOnly ||
        (!!node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: allTypeOnly, line: lineOf(node) });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ specifier: node.argument.literal.text, typeOnly: true, line: lineOf(node) });
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const callee = node.expression;
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isDynamicImport || isRequire) out.push({ specifier: (node.arguments[0] as ts.StringLiteralLike).text, typeOnly: false, line: lineOf(node) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly, line: lineOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The layer of a repo-relative path (`ops/status.ts` → `ops`), or undefined outside the layers. */
export function layerOf(relPath: string): Layer | undefined {
  const top = relPath.split(/[\\/]/)[0];
  return (LAYERS as readonly string[]).includes(top ?? '') ? (top as Layer) : undefined;
}

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * The violations among `files` (repo-relative path and text). Pure: the unit test feeds it a
 * deliberate violation; `main` feeds it the tree.
 */
export function layerViolations(files: readonly { path: string; text: string }[]): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (!from) continue;
    for (const ref of importsOf(file.path, file.text)) {
      const refuse = (reason: string) => violations.push({ file: file.path, line: ref.line, specifier: ref.specifier, reason });
      if (ref.specifier.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path.split(path.sep).join('/')), ref.specifier));
        if (target.startsWith('..')) {
          refuse('imports from outside the repository');
          continue;
        }
        const to = layerOf(target);
        if (!to) {
          refuse(`imports ${target}, which is outside the layered folders (${LAYERS.join(', ')})`);
          continue;
        }
        if (from === 'workflows' && to !== 'workflows' && to !== 'core' && !(to === 'activities' && ref.typeOnly)) {
          refuse(`workflows/ imports only core/ and activity types (use \`import type\` for activities/), not ${to}/`);
          continue;
        }
        if (LAYERS.indexOf(to) < LAYERS.indexOf(from) && !(from === 'workflows' && to === 'activities')) {
          refuse(`${from}/ may not import from ${to}/, which is above it (order: ${LAYERS.join(' > ')})`);
        }
      } else if (from === 'core') {
        if (NODE_BUILTINS.has(ref.specifier)) refuse('core/ is pure: no Node modules (workflows import it)');
        else if (!ref.typeOnly && !CORE_PACKAGES.includes(packageName(ref.specifier)))
          refuse(`core/ may import only ${CORE_PACKAGES.join(', ')} (pure, sandbox-safe packages)`);
      }
    }
  }
  return violations;
}

/** Repo-relative paths of every .ts file under the layered folders. */
export function layeredFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (/\.(ts|mts|cts)$/.test(e.name)) out.push(rel);
    }
  };
  for (const layer of LAYERS) walk(layer);
  return out.sort();
}

/** Checks the tree at `root` and returns its violations. */
export function checkTree(root: string): LayerViolation[] {
  return layerViolations(layeredFiles(root).map((p) => ({ path: p.split(path.sep).join('/'), text: readFileSync(path.join(root, p), 'utf8') })));
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const violations = checkTree(root);
  if (violations.length > 0) {
    for (const v of violations) process.stderr.write(`${v.file}:${v.line}: import '${v.specifier}': ${v.reason}\n`);
    process.stderr.write(`import layers FAILED: ${violations.length} import(s) point the wrong way; see ARCHITECTURE.md's layout\n`);
    process.exit(1);
  }
  process.stdout.write(`import layers OK: ${layeredFiles(root).length} files, imports point down ${LAYERS.join(' > ')}\n`);
}
