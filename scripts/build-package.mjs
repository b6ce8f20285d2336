// Builds one package (run from its directory) the way Effect's own 3.x packages ship:
//   dist/esm  ESM + .d.ts (tsc, type-checked), with source maps and declaration maps into the shipped src/
//   dist/cjs  CommonJS (esbuild, per file, not bundled) + the same .d.ts, marked by {"type":"commonjs"}
// Two .d.ts trees rather than one shared dist/dts, so TypeScript sees ESM types for `import` and CJS types
// for `require` (attw: no "masquerading" problems under node16).
// esbuild for CJS because it keeps `import()` as a real dynamic import (tsc and babel rewrite it to a
// `require` inside a callback, which bundlers then insist on resolving: see Credential.layerDefaultAzure).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"

const require = createRequire(import.meta.url)
const cwd = process.cwd()

// The in-repo package.json points `exports` at src/*.ts; only pnpm swaps in publishConfig (dist) when packing.
// `npm pack`/`npm publish` would ship the source exports, so refuse them loudly.
if (process.argv.includes("--prepack") && !(process.env.npm_config_user_agent ?? "").startsWith("pnpm/")) {
  console.error(
    "Pack and publish these packages with pnpm (`pnpm run pack` at the repo root): publishConfig.exports is a pnpm feature."
  )
  process.exit(1)
}

const dist = path.join(cwd, "dist")
fs.rmSync(dist, { recursive: true, force: true })

execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
  cwd,
  stdio: "inherit"
})

const sources = fs.readdirSync(path.join(cwd, "src"), { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
  // The CLI is ESM only (package.json "bin" points at dist/esm/bin.js).
  .filter((file) => file !== "bin.ts")
  .map((file) => path.join("src", file))
require("esbuild").buildSync({
  absWorkingDir: cwd,
  entryPoints: sources,
  outbase: "src",
  outdir: "dist/cjs",
  format: "cjs",
  platform: "node",
  target: "node20",
  sourcemap: true,
  sourcesContent: false,
  tsconfig: "tsconfig.build.json",
  logLevel: "warning"
})
// The .d.ts read the same under a CommonJS package scope, and their maps point at the same ../../src.
fs.cpSync(path.join(dist, "esm"), path.join(dist, "cjs"), {
  recursive: true,
  filter: (source) =>
    fs.statSync(source).isDirectory() ||
    (/\.d\.ts(\.map)?$/.test(source) && !/[\\/]bin\.d\.ts(\.map)?$/.test(source))
})
fs.writeFileSync(path.join(dist, "cjs/package.json"), JSON.stringify({ type: "commonjs" }, null, 2) + "\n")

const bin = path.join(dist, "esm/bin.js")
if (fs.existsSync(bin)) fs.chmodSync(bin, 0o755)

// --bundle-bin (the CLI): bin.ts bundled into dist/bin/bundle.js, run by the package's src/launcher.mjs, copied
// to dist/bin/. The library modules stay unbundled above. Optional peers stay imports resolved at run time.
if (process.argv.includes("--bundle-bin")) {
  const pkg = JSON.parse(fs.readFileSync(path.join(cwd, "package.json"), "utf8"))
  const optional = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((name) => pkg.peerDependenciesMeta[name].optional)
  require("esbuild").buildSync({
    absWorkingDir: cwd,
    entryPoints: ["src/bin.ts"],
    outfile: "dist/bin/bundle.js",
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: optional.flatMap((name) => [name, `${name}/*`]),
    tsconfig: "tsconfig.build.json",
    // Bundled CommonJS dependencies call require(), which an ES module does not have.
    banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" },
    legalComments: "eof",
    logLevel: "warning"
  })
  fs.copyFileSync(path.join(cwd, "src/launcher.mjs"), path.join(dist, "bin/effect-keyvault.js"))
  fs.chmodSync(path.join(dist, "bin/effect-keyvault.js"), 0o755)
}
