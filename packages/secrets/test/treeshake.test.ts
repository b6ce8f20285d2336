/**
 * What a bundler keeps of the package for a get-one-secret program (esbuild, as bench/cold bundles it). The
 * package declares `"sideEffects": []`, so a module none of whose exports is used is dropped even though its top
 * level builds Schema classes and tags; deep imports keep only what the program reaches.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as esbuild from "esbuild"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src")

/** The inputs that contribute bytes to the bundle of `contents` (paths relative to the repository's node_modules or src). */
const bundled = (contents: string) =>
  Effect.promise(async () => {
    const result = await esbuild.build({
      stdin: { contents, resolveDir: src, loader: "ts", sourcefile: "main.ts" },
      bundle: true,
      write: false,
      platform: "node",
      format: "esm",
      target: "node20",
      metafile: true,
      logLevel: "silent"
    })
    const output = Object.values(result.metafile.outputs)[0]!
    return Object.entries(output.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([input]) => input)
  })

const ours = (inputs: ReadonlyArray<string>) =>
  inputs.filter((i) => i.includes("packages/secrets/src/")).map((i) => i.replace(/^.*packages\/secrets\/src\//, ""))

const getOneSecret = (imports: string) => `
${imports}
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect, Layer } from "effect"

const program = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("name")).pipe(
  Effect.provide(SecretClient.layer({ vaultUrl: "https://v.vault.azure.net" }).pipe(
    Layer.provide(Credential.layerStatic("token")),
    Layer.provide(FetchHttpClient.layer)
  ))
)
Effect.runPromise(program).then(console.log)
`

/** Modules a getSecret never reaches. */
const unrelated = [
  "SecretCache.ts",
  "SecretWatch.ts",
  "SecretConfigProvider.ts",
  "SecretWrites.ts",
  "KeyVaultSecretIdentifier.ts",
  "UndiciHttpClient.ts"
]

describe("tree shaking (esbuild)", () => {
  it.effect("an index import of SecretClient and Credential drops the package's other modules", () =>
    Effect.gen(function*() {
      const inputs = yield* bundled(getOneSecret(`import { Credential, SecretClient } from "./index.js"`))
      const kept = ours(inputs)
      assert.include(kept, "SecretClient.ts")
      assert.deepStrictEqual(unrelated.filter((m) => kept.includes(m)), [])
      assert.deepStrictEqual(inputs.filter((i) => i.includes("node_modules/undici/")), [])
    }), 60_000)

  it.effect("deep imports bundle neither the unrelated modules nor @azure/identity (installed here)", () =>
    Effect.gen(function*() {
      const inputs = yield* bundled(getOneSecret(
        `import * as Credential from "./Credential.js"\nimport * as SecretClient from "./SecretClient.js"`
      ))
      const kept = ours(inputs)
      assert.include(kept, "SecretClient.ts")
      assert.deepStrictEqual(unrelated.filter((m) => kept.includes(m)), [])
      // Credential.layerDefaultAzure's import("@azure/identity") goes with it when the program does not use it.
      assert.deepStrictEqual(inputs.filter((i) => /node_modules\/(@azure\/identity|@azure\/msal-|undici)\//.test(i)), [])
    }), 60_000)
})
