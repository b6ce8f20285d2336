// ours-fetch imported through the package index (`import { Credential, SecretClient } from "@effect-keyvault/secrets"`)
// instead of deep imports. esbuild keeps every export of a namespace re-exported with `export * as`, so this shows what
// an index import costs a bundle. Not a cold-start program of bench/extras.ts; bench/bundle.ts measures it.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Credential, SecretClient } from "../../packages/secrets/src/index.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const secret = yield* client.getSecret("bench-00000")
  yield* Console.log(Redacted.value(secret.value))
}).pipe(
  Effect.provide(SecretClient.layer({ vaultUrl: process.env.BENCH_URL!, verifyChallengeResource: false }).pipe(
    Layer.provide(Credential.layerStatic(Redacted.make("bench-token"))),
    Layer.provide(FetchHttpClient.layer)
  ))
)
Effect.runPromise(program).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
