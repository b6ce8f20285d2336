// Builds one package (run from its directory) the way Effect's own 3.x packages ship:
// dist/esm (ESM + .d.ts), dist/cjs (CommonJS + .d.ts, marked by a {"type":"commonjs"} package.json),
// each with source maps and declaration maps pointing into the shipped src/.
// Two .d.ts trees rather than one shared dist/dts so TypeScript sees ESM types for `import` and CJS types
// for `require` (attw: no "masquerading" problems under node16).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"

const require = createRequire(import.meta.url)
const tsc = require.resolve("typescript/bin/tsc")
const cwd = process.cwd()

// The in-repo package.json points `exports` at src/*.ts; only pnpm swaps in publishConfig (dist) when packing.
// `npm pack`/`npm publish` would ship the source exports, so refuse them loudly.
if (process.argv.includes("--prepack") && !(process.env.npm_config_user_agent ?? "").startsWith("pnpm/")) {
  console.error("Pack and publish these packages with pnpm (`pnpm run pack` at the repo root): publishConfig.exports is a pnpm feature.")
  process.exit(1)
}

fs.rmSync(path.join(cwd, "dist"), { recursive: true, force: true })
for (const project of ["tsconfig.build.json", "tsconfig.build.cjs.json"]) {
  execFileSync(process.execPath, [tsc, "-p", project], { cwd, stdio: "inherit" })
}
// The CJS pass only transpiles (the ESM pass type-checked the same sources); its .d.ts are the ESM ones,
// which read the same under a CommonJS package scope, and their maps point at the same ../../src.
fs.cpSync(path.join(cwd, "dist/esm"), path.join(cwd, "dist/cjs"), {
  recursive: true,
  filter: (source) => fs.statSync(source).isDirectory() || /\.d\.ts(\.map)?$/.test(source)
})
fs.writeFileSync(path.join(cwd, "dist/cjs/package.json"), JSON.stringify({ type: "commonjs" }, null, 2) + "\n")

// The CLI entry must be executable once installed (npm sets the mode for bin files too, but a
// direct `node_modules/@effect-keyvault/emulator/dist/esm/bin.js` run should work as well).
for (const format of ["esm", "cjs"]) {
  const bin = path.join(cwd, "dist", format, "bin.js")
  if (fs.existsSync(bin)) fs.chmodSync(bin, 0o755)
}

// The CLI is ESM only (package.json "bin" points at dist/esm/bin.js); a CJS copy would be dead weight.
for (const file of fs.readdirSync(path.join(cwd, "dist/cjs"))) {
  if (/^bin\.(js|d\.ts)(\.map)?$/.test(file)) fs.rmSync(path.join(cwd, "dist/cjs", file))
}
