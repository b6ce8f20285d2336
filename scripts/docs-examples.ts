/**
 * Type-checks and runs the JSDoc `@example` blocks that `@effect/docgen` 0.5 does not collect: examples on
 * exported classes (Schema classes, tagged errors, Context tags), on their members, and on `export * as`
 * re-exports. docgen checks every other example itself, so together the two cover every example in the API
 * reference. Part of `pnpm run docs`; exits non-zero when an example does not compile or throws.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = fileURLToPath(new URL("..", import.meta.url))
const bin = (name: string) => path.join(root, "node_modules", ".bin", name)

// The same options as `examplesCompilerOptions` in packages/*/docgen.json (paths are relative to the out dir).
const compilerOptions = {
  noEmit: true,
  strict: true,
  skipLibCheck: true,
  target: "ES2022",
  module: "ESNext",
  moduleResolution: "Bundler",
  lib: ["ES2022", "DOM", "DOM.Iterable"],
  types: ["node"],
  paths: {
    "@effect-keyvault/secrets": ["../../../secrets/src/index.ts"],
    "@effect-keyvault/secrets/*": ["../../../secrets/src/*.ts"],
    "@effect-keyvault/emulator": ["../../../emulator/src/index.ts"],
    "@effect-keyvault/emulator/*": ["../../../emulator/src/*.ts"],
    "@effect-keyvault/cli": ["../../../cli/src/index.ts"],
    "@effect-keyvault/cli/*": ["../../../cli/src/*.ts"]
  }
}

interface Example {
  readonly id: string
  readonly code: string
}

// The JSDoc in the leading trivia of a node: ```ts blocks that follow an @example tag.
const examplesOf = (source: ts.SourceFile, node: ts.Node): Array<string> => {
  const trivia = source.text.slice(node.getFullStart(), node.getStart(source))
  const found: Array<string> = []
  for (const doc of trivia.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const lines = doc.split("\n").map((line) => line.replace(/^\s*\*( |$)/, ""))
    const text = lines.join("\n")
    for (const m of text.matchAll(/@example\s*\n```ts\n([\s\S]*?)\n```/g)) found.push(m[1])
  }
  return found
}

const nameOf = (node: ts.Node): string => {
  if (ts.isClassDeclaration(node)) return node.name?.text ?? "default"
  if (ts.isExportDeclaration(node)) {
    return node.exportClause && ts.isNamespaceExport(node.exportClause) ? node.exportClause.name.text : "export"
  }
  const name = (node as { name?: ts.Node }).name
  if (name === undefined) return "member"
  return ts.isComputedPropertyName(name) ? name.expression.getText().replace(/\W+/g, "_") : name.getText()
}

const collect = (pkgDir: string): Array<Example> => {
  const srcDir = path.join(pkgDir, "src")
  const out: Array<Example> = []
  for (const file of fs.readdirSync(srcDir).filter((f) => f.endsWith(".ts") && f !== "bin.ts").sort()) {
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(srcDir, file), "utf8"), ts.ScriptTarget.ES2022, true)
    const add = (node: ts.Node, id: string) =>
      examplesOf(source, node).forEach((code, i) => out.push({ id: `${file.replace(/\.ts$/, "")}-${id}-${i}`, code }))
    for (const statement of source.statements) {
      if (ts.isExportDeclaration(statement)) add(statement, `reexport-${nameOf(statement)}`)
      const exported = ts.canHaveModifiers(statement) &&
        (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      if (ts.isClassDeclaration(statement) && exported) {
        add(statement, `class-${nameOf(statement)}`)
        for (const member of statement.members) add(member, `class-${nameOf(statement)}-${nameOf(member)}`)
      }
    }
  }
  return out
}

const run = (command: string, args: ReadonlyArray<string>): boolean =>
  spawnSync(command, args, { cwd: root, stdio: "inherit" }).status === 0

let failed = false
let total = 0
for (const pkg of ["secrets", "emulator", "cli"]) {
  const pkgDir = path.join(root, "packages", pkg)
  const outDir = path.join(pkgDir, "docs", "examples-extra")
  fs.rmSync(outDir, { recursive: true, force: true })
  const examples = collect(pkgDir)
  if (examples.length === 0) continue
  fs.mkdirSync(outDir, { recursive: true })
  for (const example of examples) {
    // Like docgen: `assert` is available to examples without an import.
    const prelude = example.code.includes("assert.") ? `import * as assert from "node:assert"\n` : ""
    fs.writeFileSync(path.join(outDir, `${example.id}.ts`), `${prelude}${example.code}\nexport {}\n`)
  }
  fs.writeFileSync(path.join(outDir, "index.ts"), examples.map((e) => `import "./${e.id}"\n`).join(""))
  fs.writeFileSync(path.join(outDir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["*.ts"] }, null, 2))
  const tsconfig = path.join(outDir, "tsconfig.json")
  const ok = run(bin("tsc"), ["--noEmit", "-p", tsconfig]) &&
    run(bin("tsx"), ["--tsconfig", tsconfig, path.join(outDir, "index.ts")])
  console.log(`${pkg}: ${examples.length} class / member / re-export example(s) ${ok ? "type-checked and run" : "FAILED"}`)
  total += examples.length
  if (ok) fs.rmSync(outDir, { recursive: true, force: true })
  else failed = true
}
console.log(`docs-examples: ${total} example(s) checked`)
if (failed) process.exit(1)
