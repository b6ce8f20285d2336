// Cold start: ours on FetchHttpClient (global fetch), deep imports.
// Each cold-start program is standalone on purpose: handing the imported namespaces to a shared helper makes
// esbuild keep every export of them (a namespace used as a value is not tree-shaken), which bundled
// @azure/identity into every program (+133 KiB gzipped) when tried.
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Credential from "../../packages/secrets/src/Credential.js"
import * as SecretClient from "../../packages/secrets/src/SecretClient.js"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"

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
