/**
 * Soft-delete-aware writes (issue 9 item 2) against the emulator with consistency delays on, on the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
// Relative: this package cannot depend on the emulator (the emulator depends on it).
import { TestVault } from "../../emulator/src/index.js"
import { Chunk, Clock, Duration, Effect, Fiber, Option, Redacted, Stream, TestClock } from "effect"
import { PollingPolicy, SecretClient, SecretWrites } from "../src/index.js"

/** Runs `effect` while moving the TestClock in steps; returns its result and the simulated time it took. */
const onClock = <A, E, R>(effect: Effect.Effect<A, E, R>, step: Duration.DurationInput = "250 millis") =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < 20_000; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) {
        const value = yield* done.value
        return { value, elapsedMs: (yield* Clock.currentTimeMillis) - start }
      }
      yield* TestClock.adjust(step)
    }
    return yield* Effect.dieMessage("did not finish within the simulated time budget")
  })

const policy = PollingPolicy.layer(PollingPolicy.make({ interval: "500 millis", maxWait: "60 seconds" }))

const versionsOf = (name: string) =>
  Effect.flatMap(SecretClient.SecretClient, (c) => Stream.runCollect(c.listPropertiesOfSecretVersions(name))).pipe(
    Effect.map(Chunk.size)
  )

const delays = TestVault.layer({ consistencyDelay: { delete: "2 seconds", recover: "3 seconds", purge: "5 seconds" } })

describe("upsertSecret", () => {
  it.effect("creates a new name, adds a version to an existing one", () =>
    Effect.gen(function*() {
      const first = yield* SecretWrites.upsertSecret("plain", "v1")
      const second = yield* SecretWrites.upsertSecret("plain", Redacted.make("v2"), { contentType: "text/plain" })
      assert.strictEqual(Redacted.value(second.value), "v2")
      assert.strictEqual(second.properties.contentType, "text/plain")
      assert.notStrictEqual(first.properties.version, second.properties.version)
      assert.strictEqual(yield* versionsOf("plain"), 2)
    }).pipe(Effect.provide(delays), Effect.provide(policy)))

  it.effect("onDeleted recover: right after a delete (not even visible yet), recovers, waits, then sets", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      yield* client.setSecret("rec", "v1")
      yield* onClock(client.beginDeleteSecret("rec"))
      const { elapsedMs, value } = yield* onClock(SecretWrites.upsertSecret("rec", "v2", { onDeleted: "recover" }))
      assert.strictEqual(Redacted.value(value.value), "v2")
      // The history came back with the recover: v1 and v2.
      assert.strictEqual(yield* versionsOf("rec"), 2)
      const statuses = (yield* vault.exchanges).filter((x) => x.name === "rec").map((x) => `${x.method} ${x.status}`)
      assert.include(statuses, "PUT 409")
      assert.include(statuses, "POST 200") // the recover
      assert.isAtLeast(elapsedMs, 3000) // waited out the recover delay
    }).pipe(Effect.provide(delays), Effect.provide(policy)))

  it.effect("onDeleted purge: purges, rides out the 409-while-purging window, then creates afresh", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      yield* client.setSecret("pur", "v1")
      yield* onClock(client.deleteSecret("pur"))
      const { elapsedMs, value } = yield* onClock(SecretWrites.upsertSecret("pur", "v2", { onDeleted: "purge" }))
      assert.strictEqual(Redacted.value(value.value), "v2")
      assert.strictEqual(yield* versionsOf("pur"), 1) // history gone with the purge
      const puts = (yield* vault.exchanges).filter((x) => x.name === "pur" && x.method === "PUT").map((x) => x.status)
      // first PUT: deleted but recoverable; then 409 while purging; finally 200
      assert.isAtLeast(puts.filter((s) => s === 409).length, 3)
      assert.strictEqual(puts[puts.length - 1], 200)
      assert.isAtLeast(elapsedMs, 5000)
    }).pipe(Effect.provide(delays), Effect.provide(policy)))

  it.effect("onDeleted fail: the service's Exists (DeletedButRecoverable), nothing recovered or purged", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("keep", "v1")
      yield* onClock(client.deleteSecret("keep"))
      const e = yield* Effect.flip(SecretWrites.upsertSecret("keep", "v2", { onDeleted: "fail" }))
      assert.strictEqual(e._tag, "Exists")
      if (e._tag === "Exists") assert.strictEqual(e.reason, "DeletedButRecoverable")
      assert.strictEqual((yield* client.getDeletedSecret("keep")).name, "keep")
    }).pipe(Effect.provide(delays), Effect.provide(policy)))

  it.effect("a purging window longer than the schedule ends in SoftDeleteTimeout (purging), without the value", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("slow", "v1")
      yield* onClock(client.deleteSecret("slow"))
      const { value: e } = yield* onClock(
        Effect.flip(SecretWrites.upsertSecret("slow", "top-secret-value", { onDeleted: "purge" })),
        "5 seconds"
      )
      assert.strictEqual(e._tag, "SoftDeleteTimeout")
      if (e._tag === "SoftDeleteTimeout") assert.strictEqual(e.phase, "purging")
      assert.notInclude(JSON.stringify(e), "top-secret-value")
      assert.notInclude(String(e), "top-secret-value")
    }).pipe(
      Effect.provide(TestVault.layer({ consistencyDelay: { purge: "10 minutes" } })),
      Effect.provide(PollingPolicy.layer(PollingPolicy.make({ interval: "1 second", maxWait: "30 seconds" })))
    ))

  it.effect("onDeleted purge under purge protection: Forbidden, the deleted secret is kept", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("prot", "v1")
      yield* onClock(client.deleteSecret("prot"))
      const e = yield* Effect.flip(SecretWrites.upsertSecret("prot", "v2", { onDeleted: "purge" }))
      assert.strictEqual(e._tag, "Forbidden")
      assert.strictEqual((yield* client.getDeletedSecret("prot")).name, "prot")
    }).pipe(Effect.provide(TestVault.layer({ recoveryLevel: "Recoverable" })), Effect.provide(policy)))
})

describe("deleteAndPurge", () => {
  it.effect("waits out the delete, purges, and the name is then reusable (through upsertSecret)", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("gone", "v1")
      yield* client.setSecret("gone", "v2")
      const { elapsedMs } = yield* onClock(SecretWrites.deleteAndPurge("gone"))
      assert.isAtLeast(elapsedMs, 2000) // the delete delay
      assert.strictEqual((yield* Effect.flip(client.getDeletedSecret("gone")))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(client.getSecret("gone")))._tag, "NotFound")
      const { value } = yield* onClock(SecretWrites.upsertSecret("gone", "fresh", { onDeleted: "fail" }))
      assert.strictEqual(Redacted.value(value.value), "fresh")
      assert.strictEqual(yield* versionsOf("gone"), 1)
    }).pipe(Effect.provide(delays), Effect.provide(policy)))

  it.effect("is idempotent: a missing name, or an already deleted one, completes", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* onClock(SecretWrites.deleteAndPurge("never-existed"))
      yield* client.setSecret("half", "v1")
      yield* onClock(client.deleteSecret("half"))
      yield* onClock(SecretWrites.deleteAndPurge("half"))
      assert.strictEqual((yield* Effect.flip(client.getDeletedSecret("half")))._tag, "NotFound")
      yield* onClock(SecretWrites.deleteAndPurge("half"))
    }).pipe(Effect.provide(delays), Effect.provide(policy)))

  it.effect("under purge protection: Forbidden (the delete happened, the purge cannot)", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("locked", "v1")
      const e = yield* Effect.flip(onClock(SecretWrites.deleteAndPurge("locked")))
      assert.strictEqual(e._tag, "Forbidden")
      assert.strictEqual((yield* client.getDeletedSecret("locked")).name, "locked")
    }).pipe(Effect.provide(TestVault.layer({ recoveryLevel: "Recoverable" })), Effect.provide(policy)))
})
