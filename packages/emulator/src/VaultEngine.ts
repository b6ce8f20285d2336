/**
 * The vault engine: the state and rules of a Key Vault secrets data plane, independent of HTTP.
 * The HTTP front ends (socket server and in-process handler) are thin translations over one engine.
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* VaultEngine.make()
 *   yield* engine.setSecret("k", { value: "v1" })
 *   yield* engine.setSecret("k", { value: "v2" })
 *   const versions = yield* engine.listSecretVersions("k")
 *   return [versions.length, (yield* engine.getSecret("k")).value]
 * })
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, [2, "v2"]))
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Order from "effect/Order"
import * as RedBlackTree from "effect/RedBlackTree"
import * as Schema from "effect/Schema"
import * as backup from "./internal/backup.js"

/**
 * A Key Vault-shaped error: HTTP status, body `error.code`, `error.message` and optional `innererror.code`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* VaultEngine.make()
 *   return yield* engine.getSecret("missing").pipe(
 *     Effect.catchTag("VaultError", (e) => Effect.succeed(`${e.status} ${e.code}`))
 *   )
 * })
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, "404 SecretNotFound"))
 * ```
 */
export class VaultError extends Schema.TaggedError<VaultError>("@effect-keyvault/emulator/VaultError")("VaultError", {
  status: Schema.Number,
  code: Schema.String,
  message: Schema.String,
  innerCode: Schema.optional(Schema.String)
}) {}

/**
 * Eventual-consistency windows like the real service's; each defaults to 0 (off).
 *
 * @example
 * ```ts
 * import type { VaultEngine } from "@effect-keyvault/emulator"
 *
 * const delays: VaultEngine.ConsistencyDelay = { delete: "2 seconds", purge: "1 second" }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface ConsistencyDelay {
  /** GET /deletedsecrets/{n} answers 404 for this long after DELETE. */
  readonly delete?: Duration.DurationInput
  /** GET /secrets/{n} answers 404 for this long after recover. */
  readonly recover?: Duration.DurationInput
  /** set and restore of the name answer 409 for this long after purge. */
  readonly purge?: Duration.DurationInput
}

/**
 * Engine options (a subset of the emulator options).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * // A vault without soft delete: deletes are final
 * const options: VaultEngine.EngineOptions = { recoveryLevel: "Purgeable", recoverableDays: 0 }
 * const engine = VaultEngine.make(options)
 * ```
 */
export interface EngineOptions {
  readonly recoveryLevel?: string
  readonly recoverableDays?: number
  readonly consistencyDelay?: ConsistencyDelay
  /** 32-byte key sealing backup blobs; random when omitted (a snapshot carries it). */
  readonly backupKey?: Uint8Array
  /** Called after every state change with the new snapshot; if it throws, the change is rolled back (500). */
  readonly onChange?: (snapshot: Snapshot) => void
  /**
   * Durable storage (file persistence). A change is acknowledged only once a `persist` call covering it has
   * resolved; concurrent changes share one call (group commit). On rejection every change not yet durable is
   * rolled back and its caller gets a 500 `InternalServerError`.
   */
  readonly persist?: (snapshot: Snapshot) => Promise<void>
}

/**
 * Attributes as they appear on the wire (epoch seconds).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* VaultEngine.make()
 *   const view = yield* engine.setSecret("k", { value: "v", exp: 1_900_000_000 })
 *   const attributes: VaultEngine.Attributes = view.attributes
 *   return [attributes.enabled, attributes.exp, attributes.recoveryLevel]
 * })
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, [true, 1900000000, "Recoverable+Purgeable"]))
 * ```
 */
export interface Attributes {
  readonly enabled: boolean
  readonly nbf?: number | undefined
  readonly exp?: number | undefined
  readonly created: number
  readonly updated: number
  readonly recoveryLevel: string
  readonly recoverableDays: number
}

/**
 * One stored version of a secret.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * // Stored versions appear in snapshots, newest last
 * const program = Effect.gen(function*() {
 *   const engine = yield* VaultEngine.make()
 *   yield* engine.setSecret("k", { value: "one" })
 *   yield* engine.setSecret("k", { value: "two" })
 *   const snapshot = yield* engine.snapshot
 *   const versions: ReadonlyArray<VaultEngine.StoredVersion> = snapshot.secrets[0].versions
 *   return versions.map((v) => v.value)
 * })
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, ["one", "two"]))
 * ```
 */
export interface StoredVersion {
  readonly version: string
  readonly value: string
  readonly contentType?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly enabled: boolean
  readonly nbf?: number | undefined
  readonly exp?: number | undefined
  readonly created: number
  readonly updated: number
  readonly managed?: boolean | undefined
  readonly kid?: string | undefined
  /** Certificate-backed secrets: the version of the previous certificate (wire: api 2025-07-01+). */
  readonly previousVersion?: string | undefined
}

/**
 * A secret as returned by the engine (without vault URL; the HTTP layer builds ids).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* VaultEngine.make()
 *   yield* engine.setSecret("Db-Password", { value: "s3cret", contentType: "text/plain" })
 *   const view: VaultEngine.SecretView = yield* engine.getSecret("db-password") // names are case-insensitive
 *   return `${view.name}/${view.version}: ${view.contentType}`
 * })
 * ```
 */
export interface SecretView {
  readonly name: string
  readonly version: string
  readonly value: string
  readonly contentType?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly attributes: Attributes
  readonly managed?: boolean | undefined
  readonly kid?: string | undefined
  readonly previousVersion?: string | undefined
}

/**
 * A soft-deleted secret (its latest version plus deletion data).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* VaultEngine.make({ recoverableDays: 7 })
 *   yield* engine.setSecret("old", { value: "x" })
 *   const deleted: VaultEngine.DeletedView = yield* engine.deleteSecret("old")
 *   return (deleted.scheduledPurgeDate - deleted.deletedDate) / 86_400 // 7 (days, in epoch seconds)
 * })
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, 7))
 * ```
 */
export interface DeletedView extends SecretView {
  readonly deletedDate: number
  readonly scheduledPurgeDate: number
}

/**
 * Parameters of a set (PUT) operation.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const params: VaultEngine.SetParams = { value: "hunter2", contentType: "text/plain", tags: { env: "dev" }, enabled: true }
 * const program = Effect.flatMap(VaultEngine.make(), (engine) => engine.setSecret("db-password", params))
 * ```
 */
export interface SetParams {
  readonly value: string
  readonly contentType?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly enabled?: boolean | undefined
  readonly nbf?: number | undefined
  readonly exp?: number | undefined
  /**
   * Seeding only: mark as certificate-backed. Such a secret is read-only over REST (set, update and delete
   * answer 403 `SecretManagedByKeyVault`), as the service keeps it in step with its certificate.
   */
  readonly managed?: boolean | undefined
  /** Seeding only: the key behind the certificate. */
  readonly kid?: string | undefined
  /**
   * Seeding only: the previous certificate's version. Defaults, for a managed secret that already has a
   * managed version, to that version (a certificate renewal).
   */
  readonly previousVersion?: string | undefined
}

/**
 * Parameters of an update (PATCH); omitted fields keep their values.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * // Disable the latest version and clear its expiry; the value stays as it was
 * const update: VaultEngine.UpdateParams = { enabled: false, exp: null }
 * const program = Effect.gen(function*() {
 *   const engine = yield* VaultEngine.make()
 *   yield* engine.setSecret("k", { value: "v", exp: 1_900_000_000 })
 *   return yield* engine.updateSecret("k", undefined, update)
 * })
 * ```
 */
export interface UpdateParams {
  readonly contentType?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly enabled?: boolean | undefined
  readonly nbf?: number | null | undefined
  readonly exp?: number | null | undefined
}

interface SecretRecord {
  name: string
  versions: Array<StoredVersion>
  deleted?: { deletedDate: number; scheduledPurgeDate: number; visibleAtMs: number } | undefined
  recoveredVisibleAtMs?: number | undefined
}

/**
 * Serializable engine state (for persistence).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * // Copy the whole state of one engine into another
 * const program = Effect.gen(function*() {
 *   const source = yield* VaultEngine.make()
 *   yield* source.setSecret("k", { value: "v" })
 *   const snapshot: VaultEngine.Snapshot = yield* source.snapshot
 *   const copy = yield* VaultEngine.make()
 *   yield* copy.restoreSnapshot(JSON.parse(JSON.stringify(snapshot)))
 *   return (yield* copy.getSecret("k")).value
 * })
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, "v"))
 * ```
 */
export interface Snapshot {
  readonly format: 1
  readonly backupKey: string
  readonly secrets: ReadonlyArray<{
    readonly name: string
    readonly versions: ReadonlyArray<StoredVersion>
    readonly deleted?: { readonly deletedDate: number; readonly scheduledPurgeDate: number } | undefined
  }>
}

/**
 * The engine. Every operation mirrors one REST operation; names are case-insensitive.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const engine: VaultEngine.VaultEngine = yield* VaultEngine.make()
 *   yield* engine.seed([{ name: "a", value: "1" }, { name: "b", value: "2" }])
 *   yield* engine.deleteSecret("a")
 *   const active = yield* engine.listSecrets
 *   const deleted = yield* engine.listDeletedSecrets
 *   return [active.map((s) => s.name), deleted.map((s) => s.name)]
 * })
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, [["b"], ["a"]]))
 * ```
 */
export interface VaultEngine {
  readonly recoveryLevel: string
  readonly recoverableDays: number
  readonly setSecret: (name: string, params: SetParams) => Effect.Effect<SecretView, VaultError>
  /** `version` empty or undefined = latest. */
  readonly getSecret: (name: string, version?: string) => Effect.Effect<SecretView, VaultError>
  readonly updateSecret: (name: string, version: string | undefined, params: UpdateParams) => Effect.Effect<SecretView, VaultError>
  readonly deleteSecret: (name: string) => Effect.Effect<DeletedView, VaultError>
  readonly getDeletedSecret: (name: string) => Effect.Effect<DeletedView, VaultError>
  readonly listDeletedSecrets: Effect.Effect<ReadonlyArray<DeletedView>>
  readonly recoverDeletedSecret: (name: string) => Effect.Effect<SecretView, VaultError>
  readonly purgeDeletedSecret: (name: string) => Effect.Effect<void, VaultError>
  /** Latest version of every active secret, sorted by name. */
  readonly listSecrets: Effect.Effect<ReadonlyArray<SecretView>>
  /**
   * One page of {@link listSecrets}: at most `limit` secrets whose lower-cased name is at or after `from`
   * (code-unit order). Costs O(log n + limit), not O(n): the engine keeps its names in a sorted index.
   */
  readonly listSecretsPage: (from: string | undefined, limit: number) => Effect.Effect<ReadonlyArray<SecretView>>
  /** One page of {@link listDeletedSecrets}, like {@link listSecretsPage}. */
  readonly listDeletedSecretsPage: (from: string | undefined, limit: number) => Effect.Effect<ReadonlyArray<DeletedView>>
  /** Every version of an active secret (empty when the name is unknown, like the service). */
  readonly listSecretVersions: (name: string) => Effect.Effect<ReadonlyArray<SecretView>>
  /** One page of {@link listSecretVersions}: at most `limit` versions from position `offset` (oldest first). */
  readonly listSecretVersionsPage: (name: string, offset: number, limit: number) => Effect.Effect<ReadonlyArray<SecretView>>
  /** Returns the base64url backup blob. */
  readonly backupSecret: (name: string) => Effect.Effect<string, VaultError>
  readonly restoreSecret: (blob: string) => Effect.Effect<SecretView, VaultError>
  readonly snapshot: Effect.Effect<Snapshot>
  readonly restoreSnapshot: (snapshot: Snapshot) => Effect.Effect<void>
  /** Seed secrets directly (no auth, no HTTP). */
  readonly seed: (secrets: ReadonlyArray<{ readonly name: string } & SetParams>) => Effect.Effect<void, VaultError>
}

/** @internal */
export const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/
/** @internal */
export const MAX_VALUE_BYTES = 25 * 1024
/** @internal */
export const MAX_TAGS = 15
/** @internal */
export const MAX_CONTENT_TYPE = 255

/**
 * Stands for the vault URL in engine error messages that quote a secret id; the HTTP layer replaces it
 * with the URL of the incoming request.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 *
 * // What a front end does with an engine error message before sending it
 * const forOrigin = (message: string, origin: string) => message.replaceAll(VaultEngine.VAULT_URL_PLACEHOLDER, origin)
 * assert.deepStrictEqual(forOrigin(`${VaultEngine.VAULT_URL_PLACEHOLDER}/secrets/k`, "https://127.0.0.1:8443"), "https://127.0.0.1:8443/secrets/k")
 * ```
 */
export const VAULT_URL_PLACEHOLDER = "https://{vault}"

const NOT_FOUND_SUFFIX =
  "was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"

/** @internal */
export const errors = {
  notFound: (nameOrId: string) =>
    new VaultError({ status: 404, code: "SecretNotFound", message: `A secret with (name/id) ${nameOrId} ${NOT_FOUND_SUFFIX}` }),
  deletedNotFound: (name: string) =>
    new VaultError({ status: 404, code: "SecretNotFound", message: `Deleted Secret not found: ${name}` }),
  disabled: () =>
    new VaultError({
      status: 403,
      code: "Forbidden",
      message: "Operation get is not allowed on a disabled secret.",
      innerCode: "SecretDisabled"
    }),
  deletedButRecoverable: (name: string) =>
    new VaultError({
      status: 409,
      code: "Conflict",
      message:
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      innerCode: "ObjectIsDeletedButRecoverable"
    }),
  beingDeleted: () =>
    new VaultError({
      status: 409,
      code: "Conflict",
      message: "Secret is currently being deleted.",
      innerCode: "ObjectIsBeingDeleted"
    }),
  restoreConflict: (name: string, version: string) =>
    new VaultError({
      status: 409,
      code: "Conflict",
      message:
        `There was a conflict restoring the secret '${VAULT_URL_PLACEHOLDER}/secrets/${name}/${version}'. This can happen if either: a second secret with the same name was created after the first secret was deleted; thus trying to restore a secret whose name is already in use. To fix this, rename the second secret to something else so that the restore works. The second probable cause of this exception is when multiple operations are performed in parallel against the secret. To avoid this error, perform operations against a secret in a sequential manner.`
    }),
  malformedBackup: () =>
    new VaultError({ status: 400, code: "Malformed backup blob", message: "Backup blob contains invalid or corrupt version." }),
  badParameter: (message: string) => new VaultError({ status: 400, code: "BadParameter", message }),
  internal: (message: string) => new VaultError({ status: 500, code: "InternalServerError", message }),
  purgeProtected: () =>
    new VaultError({
      status: 403,
      code: "Forbidden",
      message: "Operation purge is not allowed on this vault: purge protection is enabled."
    }),
  invalidName: (name: string) =>
    new VaultError({ status: 400, code: "BadParameter", message: `The request URI contains an invalid name: ${name}` }),
  /** The service's answer to writes on a certificate-backed secret. */
  managedByKeyVault: (operation: "set" | "update" | "delete") =>
    new VaultError({
      status: 403,
      code: "Forbidden",
      message: `Operation "${operation}" is not allowed as this object's lifetime is managed by Key Vault.`,
      innerCode: "SecretManagedByKeyVault"
    })
}

const hex = "0123456789abcdef"
const newVersion = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let out = ""
  for (const b of bytes) out += hex[b >> 4]! + hex[b & 15]!
  return out
}

/** @internal */
export const validateParams = (params: {
  readonly value?: string | undefined
  readonly contentType?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
}): VaultError | undefined => {
  if (params.value !== undefined && Buffer.byteLength(params.value, "utf8") > MAX_VALUE_BYTES) {
    return errors.badParameter(`The secret value exceeds the maximum allowed size of ${MAX_VALUE_BYTES} bytes.`)
  }
  if (params.contentType !== undefined && params.contentType.length > MAX_CONTENT_TYPE) {
    return errors.badParameter(`The content type exceeds the maximum allowed length of ${MAX_CONTENT_TYPE} characters.`)
  }
  if (params.tags !== undefined) {
    const entries = Object.entries(params.tags)
    if (entries.length > MAX_TAGS) return errors.badParameter(`The number of tags exceeds the maximum of ${MAX_TAGS}.`)
    for (const [k, v] of entries) {
      if (k.length > 512 || v.length > 512) {
        return errors.badParameter("Tag names and values must be at most 512 characters.")
      }
    }
  }
  return undefined
}

/**
 * Create an engine. Time comes from Effect's `Clock`, so tests can drive it with `TestClock`.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* VaultEngine.make({ recoverableDays: 7 })
 *   const created = yield* engine.setSecret("api-key", { value: "abc" })
 *   const read = yield* engine.getSecret("API-KEY", created.version)
 *   return read.value
 * })
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, "abc"))
 * ```
 */
export const make = (options: EngineOptions = {}): Effect.Effect<VaultEngine> =>
  Effect.sync(() => {
    const recoveryLevel = options.recoveryLevel ?? "Recoverable+Purgeable"
    const recoverableDays = options.recoverableDays ?? 90
    const softDelete = recoveryLevel.includes("Recoverable")
    const purgeable = recoveryLevel.includes("Purgeable")
    const deleteDelay = Duration.toMillis(options.consistencyDelay?.delete ?? 0)
    const recoverDelay = Duration.toMillis(options.consistencyDelay?.recover ?? 0)
    const purgeDelay = Duration.toMillis(options.consistencyDelay?.purge ?? 0)
    let backupKey = options.backupKey ?? crypto.getRandomValues(new Uint8Array(32))
    const secrets = new Map<string, SecretRecord>()
    // name (lower case) -> epoch ms until which the name is still "being purged"
    const purging = new Map<string, number>()

    const key = (name: string) => name.toLowerCase()
    // Sorted indexes of the keys of live and of deleted records, so a listing page costs O(log n + page).
    // Code-unit order on lower-cased names (Order.string, not localeCompare): the $skiptoken marker is
    // compared with `>=`, so both must use the same, locale-independent order or paging loops or drops items.
    // The trees are persistent: a state copy for rollback shares them.
    let liveIndex = RedBlackTree.empty<string, SecretRecord>(Order.string)
    let deletedIndex = RedBlackTree.empty<string, SecretRecord>(Order.string)
    // Earliest scheduled purge among deleted records (epoch seconds): the sweep has nothing to do before it.
    let nextPurgeS = Number.POSITIVE_INFINITY
    /** Puts `k` in the index its record belongs to (live or deleted), or in none when it is gone. */
    const reindex = (k: string) => {
      if (RedBlackTree.has(liveIndex, k)) liveIndex = RedBlackTree.removeFirst(liveIndex, k)
      if (RedBlackTree.has(deletedIndex, k)) deletedIndex = RedBlackTree.removeFirst(deletedIndex, k)
      const rec = secrets.get(k)
      if (rec === undefined) return
      if (rec.deleted) {
        deletedIndex = RedBlackTree.insert(deletedIndex, k, rec)
        nextPurgeS = Math.min(nextPurgeS, rec.deleted.scheduledPurgeDate)
      } else {
        liveIndex = RedBlackTree.insert(liveIndex, k, rec)
      }
    }
    const rebuildIndexes = () => {
      liveIndex = RedBlackTree.empty(Order.string)
      deletedIndex = RedBlackTree.empty(Order.string)
      nextPurgeS = Number.POSITIVE_INFINITY
      for (const k of secrets.keys()) reindex(k)
    }
    /** Up to `limit` records of `index` from the first key >= `from`, skipping those `keep` refuses. */
    const pageOf = (
      index: RedBlackTree.RedBlackTree<string, SecretRecord>,
      from: string | undefined,
      limit: number,
      keep: (rec: SecretRecord) => boolean
    ): Array<SecretRecord> => {
      const out: Array<SecretRecord> = []
      if (limit <= 0) return out
      const entries = from === undefined ? index : RedBlackTree.greaterThanEqual(index, from)
      for (const [, rec] of entries) {
        if (!keep(rec)) continue
        out.push(rec)
        if (out.length >= limit) break
      }
      return out
    }
    const checkName = (name: string): VaultError | undefined =>
      NAME_PATTERN.test(name) ? undefined : errors.invalidName(name)

    const attrs = (v: StoredVersion): Attributes => ({
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel,
      recoverableDays: softDelete ? recoverableDays : 0
    })
    const view = (rec: SecretRecord, v: StoredVersion): SecretView => ({
      name: rec.name,
      version: v.version,
      value: v.value,
      contentType: v.contentType,
      tags: v.tags,
      attributes: attrs(v),
      managed: v.managed,
      kid: v.kid,
      previousVersion: v.previousVersion
    })
    const latest = (rec: SecretRecord): StoredVersion => rec.versions[rec.versions.length - 1]!
    /** Live and visible: not deleted, and past the recover delay (the service answers 404 until then). */
    const isVisible = (rec: SecretRecord, nowMs: number) =>
      !rec.deleted && !(rec.recoveredVisibleAtMs !== undefined && nowMs < rec.recoveredVisibleAtMs)
    const deletedView = (rec: SecretRecord): DeletedView => ({
      ...view(rec, latest(rec)),
      deletedDate: rec.deleted!.deletedDate,
      scheduledPurgeDate: rec.deleted!.scheduledPurgeDate
    })

    const toSnapshot = (): Snapshot => ({
      format: 1,
      backupKey: Buffer.from(backupKey).toString("base64"),
      secrets: [...secrets.values()].map((r) => ({
        name: r.name,
        // A copy: the live array keeps growing, a snapshot must not.
        versions: [...r.versions],
        ...(r.deleted ? { deleted: { deletedDate: r.deleted.deletedDate, scheduledPurgeDate: r.deleted.scheduledPurgeDate } } : {})
      }))
    })

    // Durability. `changeCount` numbers the changes; `durable` is the last state known to be saved, the
    // state a failed save rolls back to (so nothing is live in memory that the data file does not hold).
    interface State {
      readonly secrets: ReadonlyArray<readonly [string, SecretRecord]>
      readonly purging: ReadonlyArray<readonly [string, number]>
      readonly backupKey: Uint8Array
    }
    const copyRecord = (r: SecretRecord): SecretRecord => ({
      ...r,
      versions: [...r.versions],
      deleted: r.deleted ? { ...r.deleted } : undefined
    })
    const cloneState = (): State => ({
      secrets: [...secrets].map(([k, r]) => [k, copyRecord(r)] as const),
      purging: [...purging],
      backupKey
    })
    const restoreState = (s: State) => {
      secrets.clear()
      for (const [k, r] of s.secrets) secrets.set(k, copyRecord(r))
      purging.clear()
      for (const [k, until] of s.purging) purging.set(k, until)
      backupKey = s.backupKey
      rebuildIndexes()
    }
    const tracksDurability = options.persist !== undefined || options.onChange !== undefined
    let durable: State | undefined = tracksDurability ? cloneState() : undefined
    let changeCount = 0
    const saveFailed = (cause: unknown) =>
      errors.internal(
        `The change could not be saved to the data file and was not applied: ${
          cause instanceof Error ? cause.message : String(cause)
        }`
      )

    const changed = () => {
      changeCount++
      if (options.onChange) {
        try {
          options.onChange(toSnapshot())
        } catch (cause) {
          restoreState(durable!)
          throw saveFailed(cause)
        }
        if (options.persist === undefined) durable = cloneState()
      }
    }

    // Group commit: one save at a time; changes made meanwhile share the next one.
    const waiters: Array<{ readonly upTo: number; readonly done: (e: VaultError | undefined) => void }> = []
    let saving = false
    const flush = (): void => {
      const persist = options.persist
      if (saving || waiters.length === 0 || persist === undefined) return
      saving = true
      const upTo = changeCount
      const candidate = cloneState()
      let outcome: Promise<void>
      try {
        outcome = persist(toSnapshot())
      } catch (cause) {
        outcome = Promise.reject(cause)
      }
      outcome.then(
        () => {
          durable = candidate
          for (let i = waiters.length - 1; i >= 0; i--) {
            if (waiters[i]!.upTo <= upTo) waiters.splice(i, 1)[0]!.done(undefined)
          }
        },
        (cause: unknown) => {
          // Every change not yet durable is undone, and every caller waiting for one is told.
          restoreState(durable!)
          const error = saveFailed(cause)
          for (const w of waiters.splice(0)) w.done(error)
        }
      ).finally(() => {
        saving = false
        flush()
      })
    }
    const awaitDurable = (upTo: number): Promise<VaultError | undefined> =>
      new Promise((done) => {
        waiters.push({ upTo, done })
        flush()
      })

    // Deleted secrets past their scheduled purge date disappear, as the service purges them.
    // Runs before every operation, so it must not cost O(vault): it only scans the deleted records, and only
    // once the earliest scheduled purge date has passed.
    const sweep = (nowMs: number) => {
      const nowS = Math.floor(nowMs / 1000)
      if (purging.size > 0) for (const [k, until] of purging) if (until <= nowMs) purging.delete(k)
      if (nowS < nextPurgeS) return
      const expired: Array<string> = []
      let earliest = Number.POSITIVE_INFINITY
      for (const [k, r] of deletedIndex) {
        const at = r.deleted!.scheduledPurgeDate
        if (at <= nowS) expired.push(k)
        else earliest = Math.min(earliest, at)
      }
      nextPurgeS = earliest
      for (const k of expired) {
        secrets.delete(k)
        reindex(k)
      }
      if (expired.length > 0) changed()
    }

    /** Sweep, then `f`; a failed synchronous save (onChange) has already rolled the change back: its error. */
    const sweepAndRun = <A>(f: (nowMs: number) => A | VaultError, nowMs: number): A | VaultError => {
      try {
        sweep(nowMs)
        return f(nowMs)
      } catch (e) {
        if (e instanceof VaultError) return e
        throw e
      }
    }

    const withNow = <A>(f: (nowMs: number) => A | VaultError): Effect.Effect<A, VaultError> =>
      Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
        Effect.suspend(() => {
          const before = changeCount
          const r = sweepAndRun(f, nowMs)
          if (r instanceof VaultError) return Effect.fail(r)
          if (options.persist === undefined || changeCount === before) return Effect.succeed(r)
          // Registered synchronously, so no other change can slip between this one and its save.
          const saved = awaitDurable(changeCount)
          return Effect.flatMap(Effect.promise(() => saved), (e) => e === undefined ? Effect.succeed(r) : Effect.fail(e))
        }))

    const active = (name: string, nowMs: number): SecretRecord | VaultError => {
      const bad = checkName(name)
      if (bad) return bad
      const rec = secrets.get(key(name))
      // Right after a recover the service still answers 404 for a while (eventual consistency).
      if (!rec || !isVisible(rec, nowMs)) return errors.notFound(name)
      return rec
    }

    const findVersion = (rec: SecretRecord, name: string, version: string | undefined): StoredVersion | VaultError => {
      if (version === undefined || version === "") return latest(rec)
      const v = rec.versions.find((x) => x.version === version.toLowerCase())
      return v ?? errors.notFound(`${name}/${version}`)
    }

    const doSet = (name: string, params: SetParams, nowMs: number): SecretView | VaultError => {
      const bad = checkName(name) ?? validateParams(params)
      if (bad) return bad
      const k = key(name)
      const existing = secrets.get(k)
      if (existing?.deleted) return errors.deletedButRecoverable(name)
      if ((purging.get(k) ?? 0) > nowMs) return errors.beingDeleted()
      const previous = existing === undefined ? undefined : latest(existing)
      // Only seeding may add versions to a certificate-backed secret (a renewal); REST writes are refused.
      if (previous?.managed && !params.managed) return errors.managedByKeyVault("set")
      const now = Math.floor(nowMs / 1000)
      const v: StoredVersion = {
        version: newVersion(),
        value: params.value,
        contentType: params.contentType,
        tags: params.tags,
        enabled: params.enabled ?? true,
        nbf: params.nbf,
        exp: params.exp,
        created: now,
        updated: now,
        managed: params.managed,
        kid: params.kid,
        previousVersion: params.previousVersion ??
          (params.managed && previous?.managed ? previous.version : undefined)
      }
      const rec = existing ?? { name, versions: [] }
      rec.versions.push(v)
      if (existing === undefined) {
        secrets.set(k, rec)
        reindex(k)
      }
      return view(rec, v)
    }

    // Reads hand out one view per stored version: stored versions are never changed in place (an update
    // stores a new object), so a view, and whatever a caller derives from it (the HTTP layer caches the JSON
    // body per view), stays right as long as its stored version is the one in the record.
    const readViews = new WeakMap<StoredVersion, SecretView>()
    const readSecret = (name: string, version: string | undefined, nowMs: number): SecretView | VaultError => {
      const rec = active(name, nowMs)
      if (rec instanceof VaultError) return rec
      const v = findVersion(rec, name, version)
      if (v instanceof VaultError) return v
      if (!v.enabled) return errors.disabled()
      let out = readViews.get(v)
      // The record's name is in the view: a snapshot may put the same stored version under another name.
      if (out === undefined || out.name !== rec.name) {
        out = view(rec, v)
        readViews.set(v, out)
      }
      return out
    }
    const readSecretsPage = (from: string | undefined, limit: number, nowMs: number): ReadonlyArray<SecretView> =>
      pageOf(liveIndex, from, limit, (r) => isVisible(r, nowMs)).map((r) => view(r, latest(r)))
    // The same reads without a fiber, as `withNow` runs them; a read whose sweep changed durable state is not
    // answered here (undefined), so its save is awaited on the Effect path.
    const syncRead = <A>(f: (nowMs: number) => A | VaultError, nowMs: number): A | VaultError | undefined => {
      const before = changeCount
      const r = sweepAndRun(f, nowMs)
      return options.persist !== undefined && changeCount !== before ? undefined : r
    }

    const engine: VaultEngine = {
      recoveryLevel,
      recoverableDays,
      setSecret: (name, params) =>
        withNow((nowMs) => {
          const r = doSet(name, params, nowMs)
          if (!(r instanceof VaultError)) changed()
          return r
        }),
      getSecret: (name, version) => withNow((nowMs) => readSecret(name, version, nowMs)),
      updateSecret: (name, version, params) =>
        withNow((nowMs) => {
          const rec = active(name, nowMs)
          if (rec instanceof VaultError) return rec
          const bad = validateParams(params)
          if (bad) return bad
          const v = findVersion(rec, name, version)
          if (v instanceof VaultError) return v
          if (v.managed) return errors.managedByKeyVault("update")
          const updated: StoredVersion = {
            ...v,
            ...(params.contentType !== undefined ? { contentType: params.contentType } : {}),
            ...(params.tags !== undefined ? { tags: params.tags } : {}),
            ...(params.enabled !== undefined ? { enabled: params.enabled } : {}),
            ...(params.nbf !== undefined ? { nbf: params.nbf ?? undefined } : {}),
            ...(params.exp !== undefined ? { exp: params.exp ?? undefined } : {}),
            updated: Math.floor(nowMs / 1000)
          }
          rec.versions[rec.versions.indexOf(v)] = updated
          changed()
          return view(rec, updated)
        }),
      deleteSecret: (name) =>
        withNow((nowMs) => {
          const rec = active(name, nowMs)
          if (rec instanceof VaultError) return rec
          if (latest(rec).managed) return errors.managedByKeyVault("delete")
          const deletedDate = Math.floor(nowMs / 1000)
          if (!softDelete) {
            secrets.delete(key(name))
            reindex(key(name))
            changed()
            return { ...view(rec, latest(rec)), deletedDate, scheduledPurgeDate: deletedDate }
          }
          rec.deleted = {
            deletedDate,
            scheduledPurgeDate: deletedDate + recoverableDays * 86400,
            visibleAtMs: nowMs + deleteDelay
          }
          rec.recoveredVisibleAtMs = undefined
          reindex(key(name))
          changed()
          return deletedView(rec)
        }),
      getDeletedSecret: (name) =>
        withNow((nowMs) => {
          const bad = checkName(name)
          if (bad) return bad
          const rec = secrets.get(key(name))
          if (!rec?.deleted || nowMs < rec.deleted.visibleAtMs) return errors.deletedNotFound(name)
          return deletedView(rec)
        }),
      listDeletedSecrets: Effect.orDie(withNow(() => Array.from(RedBlackTree.values(deletedIndex), deletedView))),
      listDeletedSecretsPage: (from, limit) =>
        Effect.orDie(withNow(() => pageOf(deletedIndex, from, limit, () => true).map(deletedView))),
      recoverDeletedSecret: (name) =>
        withNow((nowMs) => {
          const bad = checkName(name)
          if (bad) return bad
          const rec = secrets.get(key(name))
          if (!rec?.deleted) return errors.deletedNotFound(name)
          rec.deleted = undefined
          rec.recoveredVisibleAtMs = nowMs + recoverDelay
          reindex(key(name))
          changed()
          return view(rec, latest(rec))
        }),
      purgeDeletedSecret: (name) =>
        withNow((nowMs) => {
          const bad = checkName(name)
          if (bad) return bad
          // Levels without "Purgeable" (e.g. "Recoverable") mean purge protection is on.
          if (!purgeable) return errors.purgeProtected()
          const k = key(name)
          const rec = secrets.get(k)
          if (!rec?.deleted) return errors.deletedNotFound(name)
          secrets.delete(k)
          reindex(k)
          if (purgeDelay > 0) purging.set(k, nowMs + purgeDelay)
          changed()
          return undefined
        }),
      listSecrets: Effect.orDie(withNow((nowMs) =>
        pageOf(liveIndex, undefined, Number.POSITIVE_INFINITY, (r) => isVisible(r, nowMs)).map((r) => view(r, latest(r)))
      )),
      listSecretsPage: (from, limit) => Effect.orDie(withNow((nowMs) => readSecretsPage(from, limit, nowMs))),
      listSecretVersions: (name) =>
        Effect.orDie(withNow((nowMs) => {
          const rec = secrets.get(key(name))
          // Hidden during the recover delay, like GET and the secrets list.
          if (!rec || !isVisible(rec, nowMs)) return []
          return rec.versions.map((v) => view(rec, v))
        })),
      listSecretVersionsPage: (name, offset, limit) =>
        Effect.orDie(withNow((nowMs) => {
          const rec = secrets.get(key(name))
          if (!rec || !isVisible(rec, nowMs)) return []
          return rec.versions.slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit)).map((v) => view(rec, v))
        })),
      backupSecret: (name) =>
        withNow((nowMs) => {
          const rec = active(name, nowMs)
          if (rec instanceof VaultError) return rec
          const blob = backup.seal(backupKey, { name: rec.name, versions: rec.versions })
          // Never hand out a blob that restore would refuse as too large.
          if (blob.length > backup.MAX_BLOB_CHARS) {
            return errors.badParameter(
              `The backup of secret ${rec.name} would exceed the emulator's maximum backup size of ${backup.MAX_BLOB_CHARS} characters.`
            )
          }
          return blob
        }),
      restoreSecret: (blob) =>
        withNow((nowMs) => {
          const content = backup.open(backupKey, blob)
          if (content === undefined || !NAME_PATTERN.test(content.name) || content.versions.length === 0) {
            return errors.malformedBackup()
          }
          const k = key(content.name)
          if (secrets.has(k) || (purging.get(k) ?? 0) > nowMs) {
            return errors.restoreConflict(content.name, content.versions[content.versions.length - 1]!.version)
          }
          const rec: SecretRecord = { name: content.name, versions: [...content.versions] }
          secrets.set(k, rec)
          reindex(k)
          changed()
          return view(rec, latest(rec))
        }),
      snapshot: Effect.sync(toSnapshot),
      restoreSnapshot: (snapshot) =>
        Effect.sync(() => {
          secrets.clear()
          purging.clear()
          backupKey = new Uint8Array(Buffer.from(snapshot.backupKey, "base64"))
          for (const s of snapshot.secrets) {
            secrets.set(key(s.name), {
              name: s.name,
              versions: [...s.versions],
              deleted: s.deleted ? { ...s.deleted, visibleAtMs: 0 } : undefined
            })
          }
          rebuildIndexes()
          if (tracksDurability) durable = cloneState()
        }),
      seed: (list) =>
        withNow((nowMs) => {
          // All or nothing: a seed that fails partway leaves the vault as it was.
          const before = cloneState()
          for (const s of list) {
            const r = doSet(s.name, s, nowMs)
            if (r instanceof VaultError) {
              restoreState(before)
              return r
            }
          }
          changed()
          return undefined
        })
    }
    syncReadsOf.set(engine, {
      // With nothing for the sweep to do (the usual case), just the read.
      getSecret: (name, version, nowMs) =>
        purging.size === 0 && nowMs < nextPurgeS * 1000
          ? readSecret(name, version, nowMs)
          : syncRead((now) => readSecret(name, version, now), nowMs),
      listSecretsPage: (from, limit, nowMs) => syncRead((now) => readSecretsPage(from, limit, now), nowMs)
    })
    return engine
  })

/**
 * Reads answered synchronously at a given time (the socket server's hot path, on the live clock), exactly as
 * the Effect operations answer them; `undefined` means "use the Effect operation" (the read's sweep changed
 * state that must be saved first).
 *
 * @internal
 */
export interface SyncReads {
  readonly getSecret: (name: string, version: string, nowMs: number) => SecretView | VaultError | undefined
  readonly listSecretsPage: (from: string | undefined, limit: number, nowMs: number) => ReadonlyArray<SecretView> | VaultError | undefined
}

const syncReadsOf = new WeakMap<VaultEngine, SyncReads>()

/** @internal The synchronous reads of an engine made by {@link make}. */
export const syncReads = (engine: VaultEngine): SyncReads | undefined => syncReadsOf.get(engine)
