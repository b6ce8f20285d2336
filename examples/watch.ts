/**
 * A change stream: `SecretWatch.watch` polls the listings and emits typed events, the first being the current
 * state. Use it to trigger a rotation or a configuration reload. (Azure Event Grid is the push alternative.)
 *
 *   pnpm tsx examples/watch.ts
 */
import { SecretClient, SecretWatch } from "@effect-keyvault/secrets"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Fiber, Queue, Stream } from "effect"
import { uniqueName, VaultLive } from "./support/Vault.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const prefix = uniqueName("watch")
  yield* client.setSecret(`${prefix}-db`, "v1")

  const events = yield* Queue.unbounded<SecretWatch.SecretChange>()
  const watcher = yield* SecretWatch.watch({ prefix, interval: "1 second" }).pipe(
    Stream.runForEach((e) => Queue.offer(events, e)),
    Effect.fork
  )
  const next = Effect.gen(function*() {
    const e = yield* Queue.take(events)
    yield* Console.log(`event: ${e._tag}${"name" in e ? ` ${e.name}` : ""}`)
  })
  yield* next // Snapshot: the current state
  yield* client.setSecret(`${prefix}-api`, "v1")
  yield* next // Created
  yield* client.updateSecretProperties(`${prefix}-db`, { enabled: false })
  yield* next // Disabled
  yield* client.beginDeleteSecret(`${prefix}-api`)
  yield* next // Deleted
  yield* Fiber.interrupt(watcher)
  yield* Console.log("watch done")
  yield* client.beginDeleteSecret(`${prefix}-db`)
})

program.pipe(Effect.provide(VaultLive), NodeRuntime.runMain)
