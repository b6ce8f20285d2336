// Cold start: ours on @effect/platform-node NodeHttpClient.layerUndici, imported through its barrel.
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Credential from "../../packages/secrets/src/Credential.js"
import * as SecretClient from "../../packages/secrets/src/SecretClient.js"
import { NodeHttpClient } from "@effect/platform-node"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const secret = yield* client.getSecret("bench-00000")
  yield* Console.log(Redacted.value(secret.value))
}).pipe(
  Effect.provide(SecretClient.layer({ vaultUrl: process.env.BENCH_URL!, verifyChallengeResource: false }).pipe(
    Layer.provide(Credential.layerStatic(Redacted.make("bench-token"))),
    Layer.provide(NodeHttpClient.layerUndici)
  ))
)
Effect.runPromise(program).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
