// The body every `ours-*` cold-start program shares: read bench-00000 through the given modules and HttpClient
// layer, print it, exit. Each program differs only in how it imports our package and which transport it passes,
// which is what the bundles and cold starts compare.
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as CredentialModule from "../packages/secrets/src/Credential.js"
import type * as SecretClientModule from "../packages/secrets/src/SecretClient.js"

export const readOne = (
  SecretClient: typeof SecretClientModule,
  Credential: typeof CredentialModule,
  http: Layer.Layer<HttpClient.HttpClient>
) => {
  const program = Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const secret = yield* client.getSecret("bench-00000")
    yield* Console.log(Redacted.value(secret.value))
  }).pipe(
    Effect.provide(SecretClient.layer({ vaultUrl: process.env.BENCH_URL!, verifyChallengeResource: false }).pipe(
      Layer.provide(Credential.layerStatic(Redacted.make("bench-token"))),
      Layer.provide(http)
    ))
  )
  Effect.runPromise(program).then(() => process.exit(0), (e) => {
    console.error(e)
    process.exit(1)
  })
}
