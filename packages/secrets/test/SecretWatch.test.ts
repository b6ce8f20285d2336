/**
 * Change streams (issue 9 item 4): `watch` over TestVault on the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
// Relative: this package cannot depend on the emulator (the emulator depends on it).
import { TestVault } from "../../emulator/src/index.js"
import { Chunk, Duration, Effect, Fiber, Queue, Schedule, Stream, TestClock } from "effect"
import { SecretClient, SecretWatch } from "../src/index.js"

/** Starts a watch in the background; `next(n)` moves the clock one interval and returns the events since. */
const watching = (options: SecretWatch.WatchOptions & { readonly interval: Duration.DurationInput }) =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<SecretWatch.SecretChange>()
    const fiber = yield* SecretWatch.watch(options).pipe(Stream.runForEach((e) => Queue.offer(queue, e)), Effect.fork)
    const drain = Effect.map(Queue.takeAll(queue), Chunk.toArray)
    // Let the first poll run (it happens at once).
    yield* TestClock.adjust("1 millis")
    const first = yield* drain
    const tick = Effect.zipRight(TestClock.adjust(options.interval), drain)
    return { first, tick, drain, fiber }
  })

const tags = (events: ReadonlyArray<SecretWatch.SecretChange>) => events.map((e) => `${e._tag}${"name" in e ? ` ${e.name}` : ""}`)

describe("watch", () => {
  it.scoped("first emission is the current state; later changes are typed events", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("app-a", "1")
      yield* client.setSecret("app-b", "1")
      yield* client.setSecret("other", "1")
      const { first, tick } = yield* watching({ prefix: "APP-", interval: "10 seconds" })
      assert.strictEqual(first.length, 1)
      const snapshot = first[0]
      assert.strictEqual(snapshot._tag, "Snapshot")
      if (snapshot._tag === "Snapshot") assert.deepStrictEqual(snapshot.secrets.map((p) => p.name).sort(), ["app-a", "app-b"])
      assert.deepStrictEqual(tags(yield* tick), []) // nothing changed

      yield* client.setSecret("app-a", "2")
      yield* client.setSecret("app-c", "1")
      yield* client.setSecret("other", "2") // not watched
      assert.deepStrictEqual(tags(yield* tick).sort(), ["Created app-c", "NewVersion app-a"])

      yield* client.updateSecretProperties("app-b", { enabled: false })
      assert.deepStrictEqual(tags(yield* tick), ["Disabled app-b"])
      yield* client.updateSecretProperties("app-b", { enabled: true, tags: { x: "y" } })
      assert.deepStrictEqual(tags(yield* tick), ["Enabled app-b"]) // a tags change alone is no event

      yield* client.beginDeleteSecret("app-c")
      const deleted = yield* tick
      assert.deepStrictEqual(tags(deleted), ["Deleted app-c"])
      const d = deleted[0]
      if (d._tag === "Deleted") assert.strictEqual(d.deleted?.name, "app-c")

      yield* client.recoverDeletedSecret("app-c").pipe(Effect.fork)
      assert.deepStrictEqual(tags(yield* tick), ["Recovered app-c"])

      yield* client.beginDeleteSecret("app-c")
      assert.deepStrictEqual(tags(yield* tick), ["Deleted app-c"])
      yield* client.purgeDeletedSecret("app-c")
      assert.deepStrictEqual(tags(yield* tick), ["Purged app-c"])
      yield* TestClock.adjust("2 seconds") // a new second: the re-created version has another createdOn
      yield* client.setSecret("app-c", "new")
      assert.deepStrictEqual(tags(yield* tick), ["Created app-c"])
    }).pipe(Effect.provide(TestVault.layer())))

  it.scoped("by names (case-insensitive); expiry approaching is reported once per version", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const now = yield* TestClock.currentTimeMillis
      yield* client.setSecret("cert-pass", "1", { expiresOn: new Date(now + 3 * 86_400_000) })
      yield* client.setSecret("db", "1", { expiresOn: new Date(now + 30 * 86_400_000) })
      yield* client.setSecret("ignored", "1", { expiresOn: new Date(now + 60_000) })
      const { drain, first, tick } = yield* watching({ names: ["CERT-PASS", "db"], interval: "12 hours", expiryWarning: "7 days" })
      // Already inside the warning window at start: reported right after the snapshot.
      assert.deepStrictEqual(tags(first), ["Snapshot", "ExpiryApproaching cert-pass"])
      assert.deepStrictEqual(tags(yield* tick), [])
      yield* TestClock.adjust("22 days") // 44 polls, nothing new
      assert.deepStrictEqual(tags(yield* drain), [])
      assert.deepStrictEqual(tags(yield* tick), ["ExpiryApproaching db"])
      assert.deepStrictEqual(tags(yield* tick), [])
    }).pipe(Effect.provide(TestVault.layer())))

  it.scoped("a soft-deleted name already in the deleted listing at start is recovered, not created", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("w", "1")
      yield* client.beginDeleteSecret("w")
      const { first, tick } = yield* watching({ names: ["w"], interval: "10 seconds" })
      const snapshot = first[0]
      if (snapshot._tag === "Snapshot") {
        assert.deepStrictEqual(snapshot.secrets, [])
        assert.deepStrictEqual(snapshot.deleted.map((d) => d.name), ["w"])
      }
      yield* client.beginRecoverDeletedSecret("w")
      assert.deepStrictEqual(tags(yield* tick), ["Recovered w"])
    }).pipe(Effect.provide(TestVault.layer())))

  it.scoped("a failed poll fails the stream with the typed listing error; an interval under 1 s is InvalidArgument", () =>
    Effect.gen(function*() {
      const vault = yield* TestVault.TestVault
      const { fiber, first } = yield* watching({ interval: "10 seconds" })
      assert.strictEqual(first[0]._tag, "Snapshot")
      yield* vault.inject({ operation: "listPropertiesOfSecrets", status: 403, times: "always" })
      yield* TestClock.adjust("10 seconds")
      const e = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(e._tag, "Forbidden")
      const bad = yield* Effect.flip(Stream.runDrain(SecretWatch.watch({ interval: "10 millis" })))
      assert.strictEqual(bad._tag, "InvalidArgument")
    }).pipe(Effect.provide(TestVault.layer())))

  it.scoped("with Stream.retry a failed poll is ridden out: the watch re-syncs with a fresh Snapshot", () =>
    Effect.gen(function*() {
      const vault = yield* TestVault.TestVault
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("r", "1")
      const fiber = yield* SecretWatch.watch({ interval: "10 seconds" }).pipe(
        Stream.retry(Schedule.spaced("5 seconds")),
        Stream.take(3),
        Stream.runCollect,
        Effect.fork
      )
      yield* TestClock.adjust("1 millis")
      yield* vault.inject({ operation: "listDeletedSecrets", status: 403, times: 1 })
      yield* TestClock.adjust("10 seconds") // the failed poll
      yield* client.setSecret("s", "1")
      yield* TestClock.adjust("5 seconds") // retried: fresh snapshot
      yield* client.setSecret("t", "1")
      yield* TestClock.adjust("10 seconds")
      const events = Chunk.toArray(yield* Fiber.join(fiber))
      assert.deepStrictEqual(tags(events), ["Snapshot", "Snapshot", "Created t"])
      const resync = events[1]
      if (resync._tag === "Snapshot") assert.deepStrictEqual(resync.secrets.map((p) => p.name).sort(), ["r", "s"])
    }).pipe(Effect.provide(TestVault.layer())))
})
