/**
 * Soft-delete-aware writes: the "recover then set" / "purge then set" every tool hand-writes, done once.
 *
 * A deleted secret's name stays reserved until it is recovered or purged (`409 ObjectIsDeletedButRecoverable`),
 * and delete, recover and purge all finish asynchronously (`409 ObjectIsBeingDeleted` / `ObjectIsBeingRecovered`
 * for a while afterwards). {@link upsertSecret} and {@link deleteAndPurge} ride out those windows, waiting with the
 * {@link PollingPolicy} schedule, and end in a typed error when the schedule runs out.
 *
 * @example
 * ```ts
 * import { SecretClient, SecretWrites } from "@effect-keyvault/secrets"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   // Works whether "db-password" is new, existing, or soft-deleted a minute ago
 *   const written = yield* SecretWrites.upsertSecret("db-password", Redacted.make("s3cret"), { onDeleted: "recover" })
 *   yield* SecretWrites.deleteAndPurge("old-password")
 *   return written.properties.version
 * })
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { KeyVaultSecret } from "./KeyVaultSecret.js"
import * as PollingPolicy from "./PollingPolicy.js"
import * as SecretClient from "./SecretClient.js"
import type * as SecretError from "./SecretError.js"

/**
 * What {@link upsertSecret} does when the name is soft-deleted: `"recover"` the deleted secret (its old versions
 * come back) and add the new version, `"purge"` it (needs the purge permission; history is lost) and create the
 * secret afresh, or `"fail"` with the service's `Exists` (`reason: "DeletedButRecoverable"`).
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import type { SecretWrites } from "@effect-keyvault/secrets"
 *
 * const policy: SecretWrites.OnDeleted = process.env.CI ? "purge" : "recover"
 * ```
 */
export type OnDeleted = "recover" | "purge" | "fail"

/**
 * Options of {@link upsertSecret}: the `setSecret` options plus what to do with a soft-deleted name.
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretWrites } from "@effect-keyvault/secrets"
 *
 * const options: SecretWrites.UpsertOptions = { onDeleted: "purge", contentType: "text/plain", tags: { owner: "ops" } }
 * const write = SecretWrites.upsertSecret("api-key", "value", options)
 * ```
 */
export interface UpsertOptions extends SecretClient.SetSecretOptions {
  /** Default `"recover"`: never destroys history unless asked to. */
  readonly onDeleted?: OnDeleted | undefined
}

/**
 * The waiting schedule ran out while the service was still busy with the name: a delete, recover or purge had not
 * finished (`phase`), so the name could not be written or freed yet. Nothing was lost: retry later, or give a longer
 * {@link PollingPolicy}.
 *
 * @since 0.2.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretWrites } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const write = SecretWrites.upsertSecret("api-key", "value").pipe(
 *   Effect.catchTag("SoftDeleteTimeout", (e) => Effect.logWarning(`${e.name}: still ${e.phase}; try again later`))
 * )
 * ```
 */
export class SoftDeleteTimeout extends Schema.TaggedError<SoftDeleteTimeout>(
  "@effect-keyvault/secrets/SecretWrites/SoftDeleteTimeout"
)("SoftDeleteTimeout", {
  vault: Schema.String,
  name: Schema.String,
  /** What the service was still doing with the name when the schedule ended. */
  phase: Schema.Literal("deleting", "recovering", "purging"),
  message: Schema.String
}) {}

/**
 * Errors of {@link upsertSecret}. `Exists` means the name is soft-deleted and `onDeleted` is `"fail"` (reason
 * `DeletedButRecoverable`), or another conflict; `Forbidden` includes a purge refused by purge protection or a
 * missing purge permission; `PollingTimeout` is the client's recover poller.
 *
 * @since 0.2.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretWrites } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const describe = (e: SecretWrites.UpsertSecretError): string =>
 *   e._tag === "Exists" && e.reason === "DeletedButRecoverable" ? "soft-deleted; recover or purge it" : e._tag
 * const write = SecretWrites.upsertSecret("k", "v", { onDeleted: "fail" }).pipe(Effect.mapError(describe))
 * ```
 */
export type UpsertSecretError =
  | SecretClient.SetSecretError
  | SecretClient.RecoverDeletedSecretError
  | SecretClient.PurgeDeletedSecretError
  | SoftDeleteTimeout

/**
 * Errors of {@link deleteAndPurge}. `Forbidden` includes purge protection (`recoveryLevel` without `Purgeable`)
 * and a missing purge permission; `PollingTimeout` is the client's delete poller.
 *
 * @since 0.2.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretWrites } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const cleanup = SecretWrites.deleteAndPurge("temp").pipe(
 *   Effect.catchTag("Forbidden", (e: SecretWrites.DeleteAndPurgeError) => Effect.logWarning(`cannot purge: ${e.message}`))
 * )
 * ```
 */
export type DeleteAndPurgeError =
  | SecretClient.DeleteSecretError
  | SecretClient.PurgeDeletedSecretError
  | SecretClient.GetDeletedSecretError
  | SoftDeleteTimeout

/** A conflict that ends by itself: a delete, recover or purge of the name still in progress. */
const isTransientConflict = (e: SecretError.Exists) =>
  e.reason === "BeingDeleted" || e.innerCode === "ObjectIsBeingRecovered" || e.innerCode === "ObjectIsBeingDeleted"

/** One wait on the policy's schedule; a `SoftDeleteTimeout` once it is exhausted. */
const waiter = (vaultUrl: string, name: string) =>
  Effect.gen(function*() {
    const policy = Option.getOrElse(yield* Effect.serviceOption(PollingPolicy.PollingPolicy), () =>
      PollingPolicy.defaultPolicy)
    const driver = yield* Schedule.driver(policy)
    return (phase: SoftDeleteTimeout["phase"]) =>
      Effect.catchAll(driver.next(undefined), () =>
        new SoftDeleteTimeout({
          vault: vaultUrl,
          name,
          phase,
          message: `'${name}' was still ${phase} when the polling schedule ended; retry later or use a longer PollingPolicy.`
        }))
  })

/**
 * Set a secret whatever state its name is in: new, existing (a new version), soft-deleted (recover or purge first,
 * per `onDeleted`), or still being deleted, recovered or purged (wait with the PollingPolicy schedule, bounded).
 *
 * The value is sent only in `setSecret` requests and never appears in errors or logs.
 *
 * @since 0.2.0
 * @category Writes
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient, SecretWrites } from "@effect-keyvault/secrets"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   yield* client.setSecret("token", "v1")
 *   yield* client.deleteSecret("token") // the name is now reserved by the deleted secret
 *   const written = yield* SecretWrites.upsertSecret("token", Redacted.make("v2"), { onDeleted: "recover" })
 *   return Redacted.value(written.value)
 * }).pipe(Effect.provide(TestVault.layer()))
 * Effect.runPromise(program).then((result) => assert.strictEqual(result, "v2"))
 * ```
 */
export const upsertSecret = (
  name: string,
  value: string | Redacted.Redacted<string>,
  options: UpsertOptions = {}
): Effect.Effect<KeyVaultSecret, UpsertSecretError, SecretClient.SecretClient> =>
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const { onDeleted = "recover", ...setOptions } = options
    const wait = yield* waiter(client.vaultUrl, name)
    // What we last asked of the service, to name the window a later 409 belongs to.
    let pending: SoftDeleteTimeout["phase"] = "deleting"
    while (true) {
      const set = yield* Effect.either(client.setSecret(name, value, setOptions))
      if (set._tag === "Right") return set.right
      const e = set.left
      if (e._tag !== "Exists") return yield* e
      if (isTransientConflict(e)) {
        yield* wait(e.innerCode === "ObjectIsBeingRecovered" ? "recovering" : pending)
        continue
      }
      if (e.reason !== "DeletedButRecoverable" || onDeleted === "fail") return yield* e
      // Deleted again after our recover or purge (another writer): pace the next attempt on the schedule.
      if (pending !== "deleting") yield* wait(pending)
      if (onDeleted === "recover") {
        pending = "recovering"
        const recovered = yield* Effect.either(client.recoverDeletedSecret(name))
        if (recovered._tag === "Left") {
          const r = recovered.left
          // 404: purged (or not yet visible as deleted) meanwhile; 409: the delete is still running. Try again.
          if (r._tag === "NotFound") yield* wait("deleting")
          else if (r._tag === "Exists" && (isTransientConflict(r) || r.reason === "DeletedButRecoverable")) {
            yield* wait("recovering")
          } else return yield* r
        }
      } else {
        pending = "purging"
        const purged = yield* Effect.either(client.purgeDeletedSecret(name))
        if (purged._tag === "Left") {
          const p = purged.left
          if (p._tag === "NotFound" || (p._tag === "Exists" && isTransientConflict(p))) yield* wait("purging")
          else return yield* p
        }
      }
    }
  })

/**
 * Delete a secret and purge it, waiting (PollingPolicy schedule, bounded) through the delete's and purge's
 * asynchronous windows. Completes once the delete has finished, the purge was accepted and the name is no longer
 * listed as deleted. A name that does not exist, or is already deleted, is purged or left as is: running it twice is
 * safe.
 *
 * The service gives no way to observe the very end of a purge: for a few seconds more a `setSecret` of the name
 * may answer `409 ObjectIsBeingDeleted`. {@link upsertSecret} waits that window out, so re-create with it.
 *
 * @since 0.2.0
 * @category Writes
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient, SecretWrites } from "@effect-keyvault/secrets"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   yield* client.setSecret("temp", "v1")
 *   yield* SecretWrites.deleteAndPurge("temp")
 *   // A fresh secret under the same name: its history starts again
 *   const fresh = yield* SecretWrites.upsertSecret("temp", "v2")
 *   return Redacted.value(fresh.value)
 * }).pipe(Effect.provide(TestVault.layer()))
 * Effect.runPromise(program).then((result) => assert.strictEqual(result, "v2"))
 * ```
 */
export const deleteAndPurge = (
  name: string
): Effect.Effect<void, DeleteAndPurgeError, SecretClient.SecretClient> =>
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const wait = yield* waiter(client.vaultUrl, name)
    while (true) {
      const deleted = yield* Effect.either(client.deleteSecret(name))
      if (deleted._tag === "Right" || deleted.left._tag === "NotFound") break
      const e = deleted.left
      if (e._tag === "Exists" && isTransientConflict(e)) yield* wait("deleting")
      else return yield* e
    }
    while (true) {
      const purged = yield* Effect.either(client.purgeDeletedSecret(name))
      if (purged._tag === "Left") {
        const e = purged.left
        if (e._tag === "Exists" && isTransientConflict(e)) {
          yield* wait("deleting")
          continue
        }
        if (e._tag !== "NotFound") return yield* e
      }
      // Gone from the deleted listing: purged by us or earlier (a 404 above), or never there.
      const still = yield* Effect.either(client.getDeletedSecret(name))
      if (still._tag === "Left" && still.left._tag === "NotFound") return
      if (still._tag === "Left") return yield* still.left
      yield* wait("purging")
    }
  })
