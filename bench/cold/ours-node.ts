// Cold start: ours on @effect/platform-node's NodeHttpClient over node:https with a keep-alive agent (deep import).
// NodeHttpClient.layer's own agent does not keep connections alive: a TLS handshake per request. Not a cold-start
// program of bench/extras.ts; bench/bundle.ts and bench/cold-phases.ts measure it.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Credential from "../../packages/secrets/src/Credential.js"
import * as SecretClient from "../../packages/secrets/src/SecretClient.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const secret = yield* client.getSecret("bench-00000")
  yield* Console.log(Redacted.value(secret.value))
}).pipe(
  Effect.provide(SecretClient.layer({ vaultUrl: process.env.BENCH_URL!, verifyChallengeResource: false }).pipe(
    Layer.provide(Credential.layerStatic(Redacted.make("bench-token"))),
    Layer.provide(NodeHttpClient.layerWithoutAgent.pipe(Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))))
  ))
)
Effect.runPromise(program).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
