/**
 * Bundler safety of `Credential.layerDefaultAzure()` (issue 7): esbuild must see the `@azure/identity` import,
 * bundle it when installed, and not fail the build when it is not. Each bundle runs in a temp directory outside
 * the workspace, so nothing can be resolved from node_modules at run time: only what esbuild bundled exists.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as esbuild from "esbuild"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/index.ts")

// Builds the layer and asks for a token; prints the outcome as one JSON line.
const program = `
import { Credential } from ${JSON.stringify(src)}
import { Effect } from "effect"

const outcome = Effect.flatMap(Credential.Credential, (c) => c.getToken(["https://vault.azure.net/.default"], {})).pipe(
  Effect.provide(Credential.layerDefaultAzure()),
  Effect.match({
    onFailure: (e) => ({
      tag: e._tag,
      message: e.message,
      cause: e.cause instanceof Error ? e.cause.name + ": " + e.cause.message : String(e.cause)
    }),
    onSuccess: () => ({ tag: "Token" })
  })
)
Effect.runPromise(outcome).then((o) => console.log(JSON.stringify(o)))
`

const bundleAndRun = (format: "esm" | "cjs", identityInstalled: boolean) =>
  Effect.promise(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ekv-bundle-"))
    try {
      const outfile = path.join(dir, format === "esm" ? "main.mjs" : "main.cjs")
      const result = await esbuild.build({
        stdin: { contents: program, resolveDir: path.dirname(src), loader: "ts", sourcefile: "main.ts" },
        bundle: true,
        platform: "node",
        format,
        target: "node20",
        outfile,
        // "Not installed": the name resolves nowhere, exactly as in a project without the package.
        alias: identityInstalled ? {} : { "@azure/identity": "@azure/identity-not-installed" },
        // @azure/identity's CommonJS dependencies call require("buffer") etc.; an ESM bundle needs a real
        // `require` for them (esbuild's documented banner). A CJS bundle has one.
        ...(format === "esm"
          ? { banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } }
          : {}),
        metafile: true,
        logLevel: "silent"
      })
      const bundledIdentity = Object.keys(result.metafile?.inputs ?? {}).some((input) => input.includes("@azure/identity"))
      // No AZURE_* variables: DefaultAzureCredential finds nothing usable and says so.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AZURE_")))
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [outfile], { cwd: dir, env, timeout: 60_000 }, (error, out, err) =>
          error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)
        )
      )
      const outcome = JSON.parse(stdout.trim().split("\n").at(-1)!) as { tag: string; message?: string; cause?: string }
      return { bundledIdentity, outcome }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

describe("Credential.layerDefaultAzure in an esbuild bundle", () => {
  for (const format of ["esm", "cjs"] as const) {
    it.live(`${format}: @azure/identity is bundled and DefaultAzureCredential itself runs`, () =>
      Effect.gen(function*() {
        const { bundledIdentity, outcome } = yield* bundleAndRun(format, true)
        assert.isTrue(bundledIdentity, "esbuild did not see the @azure/identity import")
        // Identity loaded and tried its chain (no Azure credentials here): the failure comes from its getToken,
        // not from loading the module.
        assert.strictEqual(outcome.tag, "TokenError")
        assert.match(outcome.message!, /^The credential failed to get a token/, JSON.stringify(outcome))
        assert.match(outcome.cause!, /AuthenticationError|CredentialUnavailableError/)
      }), 120_000)
  }

  for (const format of ["esm", "cjs"] as const) {
    it.live(`${format}: without @azure/identity the bundle still builds, and fails with a clear TokenError`, () =>
      Effect.gen(function*() {
        const { bundledIdentity, outcome } = yield* bundleAndRun(format, false)
        assert.isFalse(bundledIdentity)
        assert.strictEqual(outcome.tag, "TokenError")
        assert.match(outcome.message!, /is @azure\/identity installed\?/)
      }), 120_000)
  }
})
