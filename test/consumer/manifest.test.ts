/**
 * The package manifests publish what the code has: every public (PascalCase) module of src/ is an export,
 * both in the workspace (src/*.ts, for tests and tsx) and in publishConfig (dist, what `pnpm pack` ships),
 * internals are blocked, and the shipped file set is dist + src + README + LICENSE. A module added to src/
 * without an export (or an export left behind by a removed module) fails here, before anyone packs.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

interface Conditions {
  readonly types: string
  readonly default: string
}

// The executables each package ships (package.json "bin", when published) and the source each one runs.
// The CLI's bin is a launcher for its bundled build (see packages/cli/src/launcher.mjs).
const bins: Record<string, Record<string, { readonly file: string; readonly sources: ReadonlyArray<string> }>> = {
  secrets: {},
  emulator: { "effect-keyvault-emulator": { file: "./dist/esm/bin.js", sources: ["./src/bin.ts"] } },
  cli: {
    "effect-keyvault": {
      file: "./dist/bin/effect-keyvault.js",
      sources: ["./src/launcher.mjs", "./src/bin.ts", "./dist/esm/bin.js", "./dist/bin/bundle.js"]
    }
  }
}

for (const name of ["secrets", "emulator", "cli"]) {
  const dir = path.join(root, "packages", name)
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
  const modules = fs.readdirSync(path.join(dir, "src")).filter((f) => /^[A-Z]\w*\.ts$/.test(f)).map((f) => f.slice(0, -3))
    .sort()

  describe(`@effect-keyvault/${name} package.json`, () => {
    it("exports every public module, in the workspace and when published, and blocks internals", () => {
      const expected = [".", "./package.json", ...modules.map((m) => `./${m}`), "./internal/*"].sort()
      assert.deepStrictEqual(Object.keys(pkg.exports).sort(), expected)
      assert.deepStrictEqual(Object.keys(pkg.publishConfig.exports).sort(), expected)
      assert.strictEqual(pkg.exports["./internal/*"], null)
      assert.strictEqual(pkg.publishConfig.exports["./internal/*"], null)
      for (const m of modules) {
        assert.strictEqual(pkg.exports[`./${m}`], `./src/${m}.ts`)
        const published = pkg.publishConfig.exports[`./${m}`] as { import: Conditions; require: Conditions }
        assert.deepStrictEqual(published, {
          import: { types: `./dist/esm/${m}.d.ts`, default: `./dist/esm/${m}.js` },
          require: { types: `./dist/cjs/${m}.d.ts`, default: `./dist/cjs/${m}.js` }
        })
        assert.deepStrictEqual(pkg.publishConfig.typesVersions["*"][m], [`./dist/cjs/${m}.d.ts`])
      }
    })

    it("ships dist, src (for source maps), README and LICENSE; builds on prepack; states Node and repository", () => {
      assert.deepStrictEqual(pkg.files, ["dist", "src", "README.md", "LICENSE"])
      assert.isTrue(fs.existsSync(path.join(dir, "LICENSE")))
      assert.match(pkg.scripts.prepack, /build-package\.mjs/)
      assert.strictEqual(pkg.engines.node, ">=20")
      assert.strictEqual(pkg.repository.directory, `packages/${name}`)
      assert.strictEqual(pkg.license, "MIT")
    })

    it("publishes its executables from dist, marked as having side effects, with a shebang in the source", () => {
      const expected = Object.fromEntries(Object.entries(bins[name]!).map(([bin, { file }]) => [bin, file]))
      assert.deepStrictEqual(pkg.publishConfig.bin ?? {}, expected)
      assert.isUndefined(pkg.bin, "a workspace bin would point at dist before it is built")
      for (const { file, sources } of Object.values(bins[name]!)) {
        assert.include(pkg.sideEffects, file)
        for (const source of sources) {
          assert.include(pkg.sideEffects, source)
          if (source.startsWith("./src/")) {
            assert.match(fs.readFileSync(path.join(dir, source), "utf8"), /^#!\/usr\/bin\/env node\n/)
          }
        }
      }
    })

    it.runIf(fs.existsSync(path.join(dir, "src/internal/version.ts")))(
      "--version and the user agent report the package.json version (src/internal/version.ts)",
      async () => {
        const module = await import(path.join(dir, "src/internal/version.ts"))
        assert.strictEqual(module.version ?? module.packageVersion, pkg.version)
      }
    )

    it("peers on the Effect 3.x line only (npm refuses Effect 4 at install time)", () => {
      assert.match(pkg.peerDependencies.effect, /^\^3\.\d+\.\d+$/)
      assert.match(pkg.peerDependencies["@effect/platform"] ?? "^0.97.0", /^\^0\.\d+\.\d+$/)
    })
  })
}
