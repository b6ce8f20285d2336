/**
 * Change streams: `watch` polls the vault's listings and turns the differences into typed events (new version,
 * enabled / disabled, expiry approaching, deleted, recovered, purged), to trigger a rotation or a reload.
 *
 * Polling costs two listing requests per interval (plus one per extra page) whatever the number of secrets, and
 * never reads a value. For push delivery, subscribe to the vault's Azure Event Grid events instead
 * (`Microsoft.KeyVault.SecretNewVersionCreated`, `SecretNearExpiry`, `SecretExpired`, ...): no polling, but a
 * subscription and an endpoint to receive them.
 *
 * @example
 * ```ts
 * import { SecretWatch } from "@effect-keyvault/secrets"
 * import { Effect, Stream } from "effect"
 *
 * const reloadOnChange = SecretWatch.watch({ prefix: "app-", interval: "30 seconds" }).pipe(
 *   Stream.filter((e) => e._tag === "NewVersion" || e._tag === "Deleted"),
 *   Stream.runForEach((e) => Effect.logInfo(`${e._tag}: reloading configuration`))
 * )
 * ```
 *
 * @since 0.2.0
 */
import * as Data from "effect/Data"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Clock from "effect/Clock"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Chunk from "effect/Chunk"
import type { DeletedSecret, SecretProperties } from "./KeyVaultSecret.js"
import * as SecretClient from "./SecretClient.js"
import * as Validate from "./internal/validate.js"

/**
 * What {@link watch} watches and how often.
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretWatch } from "@effect-keyvault/secrets"
 *
 * const options: SecretWatch.WatchOptions = { names: ["db-password", "api-key"], interval: "1 minute", expiryWarning: "14 days" }
 * const changes = SecretWatch.watch(options)
 * ```
 */
export interface WatchOptions {
  /** Only these names (case-insensitive, as Key Vault names are). */
  readonly names?: Iterable<string> | undefined
  /** Only names starting with this (case-insensitive). With `names`, a secret must match both. */
  readonly prefix?: string | undefined
  /** Time between polls; default 30 seconds, at least 1 second. */
  readonly interval?: Duration.DurationInput | undefined
  /** Emit `ExpiryApproaching` once the current version expires within this; default 7 days. */
  readonly expiryWarning?: Duration.DurationInput | undefined
}

/**
 * One change seen by {@link watch}. The first event is always a `Snapshot` of the current state; the others follow
 * as the listings change. `NewVersion` is detected from the current version's creation time in the listing, so it
 * costs no extra request (the listing carries no version id: read the secret to get it).
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretWatch } from "@effect-keyvault/secrets"
 *
 * const describe = (e: SecretWatch.SecretChange): string =>
 *   SecretWatch.SecretChange.$match(e, {
 *     Snapshot: (s) => `${s.secrets.length} secrets, ${s.deleted.length} deleted`,
 *     Created: (c) => `created ${c.name}`,
 *     NewVersion: (c) => `new version of ${c.name}`,
 *     Enabled: (c) => `${c.name} enabled`,
 *     Disabled: (c) => `${c.name} disabled`,
 *     ExpiryApproaching: (c) => `${c.name} expires soon`,
 *     Deleted: (c) => `${c.name} deleted`,
 *     Recovered: (c) => `${c.name} recovered`,
 *     Purged: (c) => `${c.name} purged`
 *   })
 * ```
 */
export type SecretChange = Data.TaggedEnum<{
  /** The current state: the first event of every watch. */
  Snapshot: { readonly secrets: ReadonlyArray<SecretProperties>; readonly deleted: ReadonlyArray<DeletedSecret> }
  /** A name not seen before (or seen purged) now exists. */
  Created: { readonly name: string; readonly properties: SecretProperties }
  /** A new current version (its `createdOn` changed). */
  NewVersion: { readonly name: string; readonly properties: SecretProperties; readonly previous: SecretProperties }
  Enabled: { readonly name: string; readonly properties: SecretProperties }
  Disabled: { readonly name: string; readonly properties: SecretProperties }
  /** The current version expires within `expiryWarning` (once per version and expiry date). */
  ExpiryApproaching: {
    readonly name: string
    readonly properties: SecretProperties
    readonly expiresOn: DateTime.Utc
  }
  /** Gone from the secrets listing; `deleted` once the vault lists it as deleted (absent without soft delete). */
  Deleted: { readonly name: string; readonly deleted: DeletedSecret | undefined }
  /** Back in the secrets listing after a delete. */
  Recovered: { readonly name: string; readonly properties: SecretProperties }
  /** Gone from the deleted listing without coming back: purged (by hand or at its scheduled purge date). */
  Purged: { readonly name: string }
}>

/**
 * Constructors and `$is` / `$match` for {@link SecretChange}.
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretWatch } from "@effect-keyvault/secrets"
 *
 * const e = SecretWatch.SecretChange.Purged({ name: "old" })
 * assert.strictEqual(SecretWatch.SecretChange.$is("Purged")(e), true)
 * ```
 */
export const SecretChange = Data.taggedEnum<SecretChange>()

/** Errors of {@link watch}: those of the listings, and `InvalidArgument` for bad options. */
type WatchError = SecretClient.ListError

interface Seen {
  readonly live: Map<string, SecretProperties>
  readonly deleted: Map<string, DeletedSecret>
  /** Names gone from the secrets listing, with their last live properties (to tell a recover from a re-create). */
  readonly gone: Map<string, SecretProperties>
  /** `name|expiresOn` already warned about. */
  readonly warned: Set<string>
}

const millis = (d: DateTime.Utc | undefined) => d === undefined ? undefined : d.epochMillis

/** The listings' difference between two polls, as events. */
const diff = (
  before: Seen | undefined,
  secrets: ReadonlyArray<SecretProperties>,
  deletedList: ReadonlyArray<DeletedSecret>,
  now: number,
  warningMs: number
): readonly [Seen, ReadonlyArray<SecretChange>] => {
  const live = new Map(secrets.map((p) => [p.name.toLowerCase(), p] as const))
  const deleted = new Map(deletedList.map((d) => [d.name.toLowerCase(), d] as const))
  const gone = new Map(before?.gone ?? [])
  const warned = new Set(before?.warned ?? [])
  const events: Array<SecretChange> = []
  if (before === undefined) {
    events.push(SecretChange.Snapshot({ secrets, deleted: deletedList }))
    for (const [k, d] of deleted) if (!live.has(k)) gone.set(k, d.properties)
  } else {
    for (const [k, p] of live) {
      const prev = before.live.get(k)
      if (prev === undefined) {
        // A recover brings back the same current version; a write after a purge makes a new one.
        const last = gone.get(k)
        gone.delete(k)
        events.push(
          last !== undefined && millis(last.createdOn) === millis(p.createdOn)
            ? SecretChange.Recovered({ name: p.name, properties: p })
            : SecretChange.Created({ name: p.name, properties: p })
        )
        continue
      }
      if (millis(prev.createdOn) !== millis(p.createdOn)) {
        events.push(SecretChange.NewVersion({ name: p.name, properties: p, previous: prev }))
      }
      if (prev.enabled !== false && p.enabled === false) events.push(SecretChange.Disabled({ name: p.name, properties: p }))
      if (prev.enabled === false && p.enabled !== false) events.push(SecretChange.Enabled({ name: p.name, properties: p }))
    }
    for (const [k, p] of before.live) {
      if (!live.has(k)) {
        gone.set(k, p)
        events.push(SecretChange.Deleted({ name: p.name, deleted: deleted.get(k) }))
      }
    }
    for (const [k, d] of before.deleted) {
      if (!deleted.has(k) && !live.has(k)) {
        gone.delete(k)
        events.push(SecretChange.Purged({ name: d.name }))
      }
    }
  }
  for (const p of live.values()) {
    const exp = millis(p.expiresOn)
    if (p.expiresOn === undefined || exp === undefined || exp - now > warningMs) continue
    const key = `${p.name.toLowerCase()}|${exp}|${millis(p.createdOn) ?? ""}`
    if (warned.has(key)) continue
    warned.add(key)
    events.push(SecretChange.ExpiryApproaching({ name: p.name, properties: p, expiresOn: p.expiresOn }))
  }
  return [{ live, deleted, gone, warned }, events]
}

/**
 * A `Stream` of {@link SecretChange}s of the matching secrets, by polling `listPropertiesOfSecrets` and
 * `listDeletedSecrets` every `interval` (the first poll at once: the first event is the current state as a
 * `Snapshot`). A failed poll fails the stream with the listing's typed error: add `Stream.retry` to ride out
 * outages (a retried watch starts over with a fresh `Snapshot`, to re-sync from). Values are never read.
 *
 * Azure Event Grid is the push alternative (no polling; needs an Event Grid subscription on the vault).
 *
 * @since 0.2.0
 * @category Streams
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient, SecretWatch } from "@effect-keyvault/secrets"
 * import { Chunk, Effect, Fiber, Stream, TestClock, TestContext } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   yield* client.setSecret("app-token", "v1")
 *   const fiber = yield* SecretWatch.watch({ prefix: "app-", interval: "10 seconds" }).pipe(
 *     Stream.take(2),
 *     Stream.runCollect,
 *     Effect.fork
 *   )
 *   yield* TestClock.adjust("1 second")
 *   yield* client.updateSecretProperties("app-token", { enabled: false })
 *   yield* TestClock.adjust("10 seconds")
 *   return Chunk.toArray(yield* Fiber.join(fiber)).map((e) => e._tag)
 * }).pipe(Effect.provide(TestVault.layer()), Effect.provide(TestContext.TestContext))
 * Effect.runPromise(program).then((tags) => assert.deepStrictEqual(tags, ["Snapshot", "Disabled"]))
 * ```
 */
export const watch = (
  options: WatchOptions = {}
): Stream.Stream<SecretChange, WatchError, SecretClient.SecretClient> =>
  Stream.unwrap(Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const interval = yield* Validate.pollInterval(client.vaultUrl, "interval", options.interval ?? "30 seconds")
    const warning = Duration.decode(options.expiryWarning ?? "7 days")
    const names = options.names === undefined ? undefined : new Set(Array.from(options.names, (n) => n.toLowerCase()))
    const prefix = options.prefix?.toLowerCase()
    const matches = (name: string) => {
      const k = name.toLowerCase()
      return (names === undefined || names.has(k)) && (prefix === undefined || k.startsWith(prefix))
    }
    const poll = Effect.all({
      secrets: Stream.runCollect(Stream.filter(client.listPropertiesOfSecrets(), (p) => matches(p.name))),
      deleted: Stream.runCollect(Stream.filter(client.listDeletedSecrets(), (d) => matches(d.name))),
      now: Clock.currentTimeMillis
    }, { concurrency: 2 })
    return Stream.repeatEffectWithSchedule(poll, Schedule.spaced(interval)).pipe(
      Stream.mapAccum(
        undefined as Seen | undefined,
        (seen, { deleted, now, secrets }) =>
          diff(seen, Chunk.toReadonlyArray(secrets), Chunk.toReadonlyArray(deleted), now, Duration.toMillis(warning))
      ),
      Stream.flattenIterables
    )
  }))
