/**
 * Start-up load of many secrets: `getSecrets` reads them under a concurrency budget and returns one result per
 * name, so one missing secret never fails the batch; the whole batch pays one challenge round trip.
 * `getSecretsStream` does the same for sets too large to hold (here: every name the listing returns).
 *
 *   pnpm tsx examples/bulk-read.ts
 */
import { SecretClient } from "@effect-keyvault/secrets"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Either, Stream } from "effect"
import { uniqueName, VaultLive } from "./support/Vault.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const prefix = uniqueName("bulk")
  const names = Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`)
  yield* Effect.forEach(names, (n) => client.setSecret(n, `value ${n}`), { concurrency: 8, discard: true })

  // One result per name, in order; "-missing" fails alone with its typed error.
  const results = yield* client.getSecrets([...names, `${prefix}-missing`], { concurrency: 8 })
  const loaded = results.filter((r) => Either.isRight(r.result)).length
  const failed = results.flatMap((r) => Either.isLeft(r.result) ? [`${r.name}: ${r.result.left._tag}`] : [])
  yield* Console.log(`loaded ${loaded} of ${results.length}; failed: ${failed.join(", ")}`)

  // The stream form: names straight from the listing, results as they arrive.
  const streamed = yield* client.getSecretsStream(
    client.listPropertiesOfSecrets().pipe(Stream.map((p) => p.name), Stream.filter((n) => n.startsWith(prefix))),
    { concurrency: 8 }
  ).pipe(Stream.filter((r) => Either.isRight(r.result)), Stream.runCount)
  yield* Console.log(`streamed ${streamed} secrets`)

  yield* Effect.forEach(names, (n) => client.beginDeleteSecret(n), { concurrency: 8, discard: true })
})

program.pipe(Effect.provide(VaultLive), NodeRuntime.runMain)
