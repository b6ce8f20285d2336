/**
 * Type-checks every TypeScript code block of README.md and packages/*\/README.md, so a README snippet cannot
 * rot. Part of `pnpm check`.
 *
 * Each ```ts (or ```typescript) block becomes one module under `.readme-snippets/` (inside the repository, so
 * `effect`, `@effect/*` and the workspace packages resolve as they would for a user) and all of them are
 * compiled with tsconfig.base.json's options, without emitting. A block whose info string says `no-check`
 * (```ts no-check) is a deliberate fragment and is skipped: keep those rare. Errors are reported at the README
 * line they come from; the exit code is 1 when any block fails.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import ts from "typescript"

const root = fileURLToPath(new URL("..", import.meta.url))

/** One fenced TypeScript block of a markdown file. */
export interface Snippet {
  /** the markdown file, relative to the repository root */
  readonly source: string
  /** 1-based line of the block's first code line in `source` */
  readonly line: number
  readonly code: string
  readonly skip: boolean
}

/** The ```ts / ```typescript blocks of a markdown text, with the README line each starts at. */
export const extract = (markdown: string, source: string): Array<Snippet> => {
  const lines = markdown.split(/\r?\n/)
  const out: Array<Snippet> = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript|tsx)\b(.*)$/.exec(lines[i]!)
    if (open === null) continue
    const [, indent, fence, , info] = open
    const body: Array<string> = []
    let j = i + 1
    for (; j < lines.length; j++) {
      if (lines[j]!.trim().startsWith(fence!) && lines[j]!.trim().replace(/[`~]/g, "") === "") break
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!)
    }
    out.push({ source, line: i + 2, code: body.join("\n"), skip: /\bno-check\b/.test(info ?? "") })
    i = j
  }
  return out
}

/** The READMEs whose blocks are checked: the root one and each package's. */
export const readmes = (): Array<string> => {
  const packages = fs.readdirSync(path.join(root, "packages"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, "packages", d.name, "README.md")))
    .map((d) => `packages/${d.name}/README.md`)
    .sort()
  return ["README.md", ...packages]
}

const compilerOptions = (): ts.CompilerOptions => {
  const config = ts.readConfigFile(path.join(root, "tsconfig.base.json"), ts.sys.readFile)
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
  const src = (pkg: string) => path.join(root, "packages", pkg, "src")
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // A snippet shows one thing; names it declares for the reader need not be used.
    noUnusedLocals: false,
    noUnusedParameters: false,
    // The workspace packages from source, as docgen's examples see them.
    baseUrl: root,
    paths: {
      "@effect-keyvault/secrets": [path.join(src("secrets"), "index.ts")],
      "@effect-keyvault/secrets/*": [path.join(src("secrets"), "*.ts")],
      "@effect-keyvault/emulator": [path.join(src("emulator"), "index.ts")],
      "@effect-keyvault/emulator/*": [path.join(src("emulator"), "*.ts")]
    }
  }
}

/** A compile error, at the README line it comes from. */
export interface SnippetError {
  readonly source: string
  readonly line: number
  readonly message: string
}

/**
 * Compiles the snippets (all in one program) in `dir`, which must be inside the repository so packages
 * resolve; returns the errors found in the snippets themselves.
 */
export const check = (snippets: ReadonlyArray<Snippet>, dir: string = path.join(root, ".readme-snippets")): Array<SnippetError> => {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const files = new Map<string, Snippet>()
  snippets.filter((s) => !s.skip).forEach((snippet, i) => {
    const name = path.join(dir, `${snippet.source.replace(/[^A-Za-z0-9]+/g, "_")}_L${snippet.line}_${i}.ts`)
    // `export {}` keeps each snippet a module of its own, so blocks may reuse names.
    fs.writeFileSync(name, `${snippet.code}\nexport {}\n`)
    files.set(path.resolve(name), snippet)
  })
  if (files.size === 0) return []
  const program = ts.createProgram([...files.keys()], compilerOptions())
  const errors: Array<SnippetError> = []
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n")
    const snippet = d.file === undefined ? undefined : files.get(path.resolve(d.file.fileName))
    if (d.file === undefined || snippet === undefined) {
      // An error outside the snippets (options, a package) still fails the check.
      errors.push({ source: d.file?.fileName ?? "(compiler options)", line: 0, message })
      continue
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0)
    errors.push({ source: snippet.source, line: snippet.line + line, message })
  }
  return errors
}

const main = () => {
  const snippets = readmes().flatMap((file) => extract(fs.readFileSync(path.join(root, file), "utf8"), file))
  const errors = check(snippets)
  const checked = snippets.filter((s) => !s.skip).length
  for (const e of errors) process.stderr.write(`${e.source}:${e.line}: ${e.message}\n`)
  process.stdout.write(
    `README snippets: ${checked} type-checked, ${snippets.length - checked} marked no-check, ${errors.length} error(s)\n`
  )
  if (errors.length > 0) process.exitCode = 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main()
