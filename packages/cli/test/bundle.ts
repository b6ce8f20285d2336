/**
 * bin.ts bundled with esbuild into `outdir` (what a built package runs: plain node, no TypeScript loader).
 * The emulator is split into its own chunk, loaded only by --emulator as in the published package.
 */
import * as esbuild from "esbuild"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/bin.ts")

export const bundleBin = async (outdir: string): Promise<string> => {
  await esbuild.build({
    entryPoints: { "effect-keyvault": bin },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
    // Bundled CommonJS dependencies call require().
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
  })
  return path.join(outdir, "effect-keyvault.mjs")
}
