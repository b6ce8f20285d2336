// Cold start: ours on this package's undici transport (deep imports, as the README recommends).
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Credential from "../../packages/secrets/src/Credential.js"
import * as SecretClient from "../../packages/secrets/src/SecretClient.js"
import * as UndiciHttpClient from "../../packages/secrets/src/UndiciHttpClient.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const secret = yield* client.getSecret("bench-00000")
  yield* Console.log(Redacted.value(secret.value))
}).pipe(
  Effect.provide(SecretClient.layer({ vaultUrl: process.env.BENCH_URL!, verifyChallengeResource: false }).pipe(
    Layer.provide(Credential.layerStatic(Redacted.make("bench-token"))),
    Layer.provide(UndiciHttpClient.layer)
  ))
)
Effect.runPromise(program).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
