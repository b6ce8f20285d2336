/**
 * Our package as users run it: every source file compiled to plain ESM JavaScript (esbuild, no bundling, no
 * `keepNames`), inside the repo so `effect` and friends resolve as for a user. The benchmarks load this, not
 * the TypeScript sources through tsx: tsx's transform adds a `__name(fn, "…")` call for every closure created
 * at run time, a cost the published `dist/` does not have.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot } from "./emulator.js"

const sources = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []
  )

/** Compile `srcDir` (a `packages/secrets/src`) to `bench/.cache/<name>`; returns that directory. */
export const compileSecrets = async (srcDir: string, name: string): Promise<string> => {
  const esbuild = await import("esbuild")
  const outdir = path.join(repoRoot, "bench/.cache", name)
  fs.rmSync(outdir, { recursive: true, force: true })
  await esbuild.build({
    entryPoints: sources(srcDir),
    outdir,
    outbase: srcDir,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "error"
  })
  fs.writeFileSync(path.join(outdir, "package.json"), `{ "type": "module" }\n`)
  return outdir
}

/**
 * Set `BENCH_OURS_JS` (and `BENCH_BASELINE_JS` when `BENCH_BASELINE_SRC` is set) for this process and the
 * client processes it forks.
 */
export const compileForBench = async (): Promise<void> => {
  // BENCH_SKIP_COMPILE=1: keep bench/.cache/secrets-js as it is (for experiments on the compiled files).
  if (process.env.BENCH_SKIP_COMPILE === "1") {
    process.env.BENCH_OURS_JS = path.join(repoRoot, "bench/.cache/secrets-js")
    return
  }
  process.env.BENCH_OURS_JS = await compileSecrets(path.join(repoRoot, "packages/secrets/src"), "secrets-js")
  const baseline = process.env.BENCH_BASELINE_SRC
  if (baseline !== undefined) process.env.BENCH_BASELINE_JS = await compileSecrets(path.resolve(baseline), "baseline-js")
}
