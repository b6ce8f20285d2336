/**
 * What the cold-start bundles are made of: every program in bench/cold/ bundled as bench/extras.ts bundles it
 * (esbuild, minified, node20, CommonJS), with esbuild's metafile: minified bytes per input module, summed by
 * group (ours, effect, @effect/platform, the official SDK, undici, @azure/identity, other), gzip -9 of the
 * whole bundle, and the largest modules. No network, no spawns: a few seconds.
 *
 *   pnpm tsx bench/bundle.ts [program ...]      # default: every bench/cold/*.ts
 *
 * Writes bench/results/bundle.json. Per-module figures are minified bytes before gzip (esbuild's
 * `bytesInOutput`); gzip is only meaningful for a whole bundle, so compare programs for gzip (e.g.
 * `platform-floor`, the least a client on @effect/platform's HttpClient weighs).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { repoRoot } from "./emulator.js"
import { fmtNumber, table } from "./stats.js"

const groups: ReadonlyArray<readonly [string, RegExp]> = [
  ["ours", /^packages\/secrets\//],
  ["effect/Schema", /node_modules\/effect\/dist\/esm\/(Schema|SchemaAST|ParseResult|internal\/schema\/)/],
  ["effect/Stream", /node_modules\/effect\/dist\/esm\/(Stream|Channel|Sink|Take|internal\/(stream|channel|sink|take|groupBy|core-stream))/],
  ["effect (rest)", /node_modules\/effect\//],
  ["@effect/platform", /node_modules\/@effect\/platform\//],
  ["@effect/platform-node", /node_modules\/@effect\/platform-node(-shared)?\//],
  ["undici", /node_modules\/undici\//],
  ["@azure/identity + msal", /node_modules\/(@azure\/(identity|msal-|core-process)|jsonwebtoken|jws|jwa|semver|open)/],
  // The official SDK's own dependencies (logging, proxy agents) count as the SDK.
  ["official SDK, @azure/core-*", /node_modules\/(@azure|@typespec|debug|ms|supports-color|has-flag|agent-base|https?-proxy-agent|tslib)\//],
  ["other", /./]
]
const groupOf = (input: string) => groups.find(([, re]) => re.test(input))![0]

const kib = (bytes: number) => `${fmtNumber(bytes / 1024, 1)} KiB`

const analyze = async (program: string) => {
  const esbuild = await import("esbuild")
  const result = await esbuild.build({
    entryPoints: [path.join(repoRoot, "bench/cold", `${program}.ts`)],
    outfile: path.join(repoRoot, "bench/.cache", `bundle-${program}.cjs`),
    absWorkingDir: repoRoot,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    metafile: true,
    write: false,
    logLevel: "error"
  })
  const code = result.outputFiles[0]!.contents
  const output = Object.values(result.metafile.outputs)[0]!
  const modules = Object.entries(output.inputs)
    .map(([input, { bytesInOutput }]) => ({ input, group: groupOf(input), bytes: bytesInOutput }))
    .filter((m) => m.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
  const byGroup: Record<string, number> = {}
  for (const m of modules) byGroup[m.group] = (byGroup[m.group] ?? 0) + m.bytes
  return {
    minified: code.length,
    gzipped: zlib.gzipSync(code, { level: 9 }).length,
    byGroup,
    // The 25 largest modules (the whole list of an identity bundle runs to a thousand).
    largest: modules.slice(0, 25).map((m) => ({ ...m, input: m.input.replace(/^.*node_modules\//, "") }))
  }
}

const requested = process.argv.slice(2)
const programs = requested.length > 0
  ? requested
  : fs.readdirSync(path.join(repoRoot, "bench/cold")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort()
const results: Record<string, Awaited<ReturnType<typeof analyze>>> = {}
for (const p of programs) results[p] = await analyze(p)

console.log(`\nBundles of bench/cold/*.ts (esbuild --bundle --minify --platform=node, gzip -9); groups in minified bytes\n`)
const shown = groups.map(([g]) => g).filter((g) => programs.some((p) => (results[p]!.byGroup[g] ?? 0) > 0))
console.log(table(
  ["program", "gzipped", "minified", ...shown],
  programs.map((p) => [p, kib(results[p]!.gzipped), kib(results[p]!.minified), ...shown.map((g) => kib(results[p]!.byGroup[g] ?? 0))])
))
for (const p of programs.filter((p) => p.startsWith("ours"))) {
  const ours = results[p]!.largest.filter((m) => m.group === "ours").slice(0, 8)
  console.log(`\n${p}: our modules (minified bytes): ${ours.map((m) => `${m.input.replace("packages/secrets/src/", "")} ${fmtNumber(m.bytes / 1024, 1)}K`).join(", ")}`)
}
fs.mkdirSync(path.join(repoRoot, "bench/results"), { recursive: true })
fs.writeFileSync(
  path.join(repoRoot, "bench/results/bundle.json"),
  JSON.stringify({ date: new Date().toISOString(), esbuild: (await import("esbuild")).version, programs: results }, null, 2) + "\n"
)
console.log(`\nWrote bench/results/bundle.json`)
