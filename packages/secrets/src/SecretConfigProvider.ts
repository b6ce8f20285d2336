/**
 * `SecretConfigProvider`: Key Vault secrets as an Effect `ConfigProvider`, so application code reads
 * `Config.redacted("DB_PASSWORD")` and does not know whether the value came from the vault or the environment.
 *
 * Two ways to load:
 * - **snapshot** (`layer`, `load`): the vault is read when the layer is built (list, then get every enabled,
 *   unexpired secret with bounded concurrency), the way .NET's and Spring's Key Vault configuration providers
 *   work. With `refreshInterval` the listing is repeated in the background and only secrets whose `updatedOn`
 *   changed are read again.
 * - **lazy** (`layerLazy`, `makeLazy`): nothing is read up front; each config key is read from the vault the
 *   first time it is asked for, through a `SecretCache` (so it is refreshed in the background and rides out
 *   outages). Good for apps that need a few keys from a large vault.
 *
 * Secret names map to config paths by the common convention: `-` becomes `_`, `--` separates nesting levels, and names are upper-cased
 * (`db-password` → `DB_PASSWORD`, `db--password` → `DB.PASSWORD`, i.e. `Config.nested("DB")(Config.string("PASSWORD"))`).
 *
 * Values never appear in config errors: a vault value that does not parse (e.g. `Config.number` over a
 * non-numeric secret) fails with `Expected a number value but received <redacted>`, and any other
 * `ConfigError` message that would quote a vault value (from `Config.mapAttempt`, `Config.validate`, …) is
 * replaced. This holds for the providers returned by {@link load}, {@link makeRefreshing} and {@link makeLazy}
 * and the ones {@link layer} and {@link layerLazy} install; a provider
 * you combine yourself (`ConfigProvider.orElse(provider, …)`) keeps the per-value redaction but not the
 * check on messages built outside the provider.
 *
 * @example
 * ```ts
 * import { Credential, SecretClient, SecretConfigProvider } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Config, Effect, Layer } from "effect"
 *
 * const SecretsLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * // Vault first, environment as fallback; only secrets named "myapp-…" (prefix stripped).
 * const ConfigLive = SecretConfigProvider.layer({ prefix: "myapp-" }).pipe(Layer.provide(SecretsLive))
 *
 * const program = Effect.gen(function*() {
 *   const password = yield* Config.redacted("DB_PASSWORD") // from secret "myapp-db-password"
 *   const port = yield* Config.integer("PORT").pipe(Config.withDefault(5432)) // from the environment
 *   return { password, port }
 * }).pipe(Effect.provide(ConfigLive))
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import type * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as ConfigProviderPathPatch from "effect/ConfigProviderPathPatch"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type { SecretProperties } from "./KeyVaultSecret.js"
import * as SecretCache from "./SecretCache.js"
import * as SecretClient from "./SecretClient.js"
import * as SecretWatch from "./SecretWatch.js"
import * as Validate from "./internal/validate.js"

/**
 * How secrets are selected and mapped to config paths.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretConfigProvider } from "@effect-keyvault/secrets"
 *
 * // Keep secret names as they are, lower-case paths, no environment fallback
 * const options: SecretConfigProvider.Options = {
 *   toConfigPath: (name) => name,
 *   concurrency: 4,
 *   fallback: null
 * }
 * const ConfigLive = SecretConfigProvider.layer(options)
 * ```
 */
export interface Options {
  /** Only secrets whose name starts with this (case-insensitive); it is removed before mapping. */
  readonly prefix?: string | undefined
  /** Secret name (prefix removed) → config path, `.`-separated. Default: see the module docs. */
  readonly toConfigPath?: ((secretName: string) => string) | undefined
  /** Parallel reads while loading. Default: 8 (Key Vault allows ~4,000 reads per 10 s per vault). */
  readonly concurrency?: number | undefined
  /** Where lookups go when the vault has no such key. Default: `ConfigProvider.fromEnv()`; `null` for none. */
  readonly fallback?: ConfigProvider.ConfigProvider | null | undefined
  /**
   * Leave out secrets whose `expiresOn` has passed (the service still serves them). Default: true.
   *
   * @since 0.2.0
   */
  readonly skipExpired?: boolean | undefined
  /**
   * `layer` only: list the vault again this often and read only the secrets whose `updatedOn` changed (added,
   * rotated, re-enabled), dropping deleted, disabled and expired ones. A failed refresh keeps the last values.
   * Default: off (one snapshot).
   *
   * @since 0.2.0
   */
  readonly refreshInterval?: Duration.DurationInput | undefined
}

/**
 * The default mapping: `--` → `.`, `-` → `_`, upper case.
 *
 * @example
 * ```ts
 * import { SecretConfigProvider } from "@effect-keyvault/secrets"
 *
 * SecretConfigProvider.defaultConfigPath("db--connection-string") // "DB.CONNECTION_STRING"
 * ```
 *
 * @since 0.1.0
 * @category Utils
 */
export const defaultConfigPath = (secretName: string): string =>
  secretName.split("--").map((part) => part.replaceAll("-", "_").toUpperCase()).join(".")

/**
 * Read the vault once and return a `ConfigProvider` over the snapshot (no fallback).
 * Disabled and (unless `skipExpired: false`) expired secrets are skipped; so are secrets that become unreadable between the listing and the read
 * (deleted or disabled meanwhile). Any other failure fails the load with its typed error.
 *
 * @example
 * ```ts
 * import { SecretConfigProvider } from "@effect-keyvault/secrets"
 * import { Config, Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const provider = yield* SecretConfigProvider.load({ prefix: "billing-" })
 *   return yield* Effect.withConfigProvider(Config.redacted("API_KEY"), provider)
 * })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const load = (
  options: Options = {}
): Effect.Effect<ConfigProvider.ConfigProvider, SecretClient.ServiceErrors, SecretClient.SecretClient> =>
  Effect.flatMap(SecretClient.SecretClient, (client) =>
    Effect.map(readSnapshot(client, options, new Map()), providerOf))
    .pipe(Effect.withSpan("SecretConfigProvider.load", { captureStackTrace: false }))

interface SnapshotEntry {
  readonly updatedOn: number | undefined
  readonly path: string
  readonly value: string
}

const isExpired = (p: SecretProperties, now: DateTime.Utc) => p.expiresOn !== undefined && DateTime.lessThanOrEqualTo(p.expiresOn, now)

// The one place a snapshot becomes a provider (both `load` and `makeRefreshing` go through it).
const providerOf = (entries: ReadonlyMap<string, SnapshotEntry>): ConfigProvider.ConfigProvider => {
  const map = new Map<string, string>()
  for (const entry of entries.values()) map.set(entry.path, entry.value)
  return withheld(redacting(ConfigProvider.fromMap(map)), map.values())
}

// List, then read the enabled (and unexpired) secrets; a secret whose `updatedOn` is unchanged since `previous`
// is not read again (listings carry no version; a new version or a property change moves `updatedOn`).
const readSnapshot = (
  client: SecretClient.Service,
  options: Options,
  previous: ReadonlyMap<string, SnapshotEntry>
): Effect.Effect<Map<string, SnapshotEntry>, SecretClient.ServiceErrors> =>
  Effect.gen(function*() {
    const prefix = options.prefix?.toLowerCase() ?? ""
    const toPath = options.toConfigPath ?? defaultConfigPath
    const now = yield* DateTime.now
    const listed = yield* client.listPropertiesOfSecrets().pipe(
      Stream.filter((p) =>
        p.enabled !== false && p.name.toLowerCase().startsWith(prefix) &&
        !(options.skipExpired !== false && isExpired(p, now))
      ),
      Stream.runCollect
    )
    const entries = yield* Effect.forEach(
      listed,
      (p) => {
        const known = previous.get(p.name.toLowerCase())
        const updatedOn = p.updatedOn === undefined ? undefined : DateTime.toEpochMillis(p.updatedOn)
        if (known !== undefined && updatedOn !== undefined && known.updatedOn === updatedOn) {
          return Effect.succeed([p.name.toLowerCase(), known] as const)
        }
        return client.getSecret(p.name).pipe(
          Effect.map((secret) =>
            [p.name.toLowerCase(), {
              updatedOn,
              path: toPath(p.name.slice(prefix.length)),
              value: Redacted.value(secret.value)
            }] as const
          ),
          // Deleted or disabled since the listing: not part of the snapshot.
          Effect.catchTags({ NotFound: () => Effect.succeed(undefined), Forbidden: () => Effect.succeed(undefined) })
        )
      },
      { concurrency: options.concurrency ?? 8 }
    )
    const map = new Map<string, SnapshotEntry>()
    for (const entry of entries) if (entry !== undefined) map.set(entry[0], entry[1])
    return map
  })

/**
 * Like {@link load}, then keeps the provider current through {@link SecretWatch.watch}: the vault's listing is
 * polled every `refreshInterval` (default 5 minutes, at least 1 second) and on each change (a new version, enabled
 * or disabled, deleted, recovered, expired) only secrets whose `updatedOn` changed are read again. Reads always answer from the newest complete
 * snapshot; a refresh that fails keeps the previous one. The refresh stops when the scope closes.
 *
 * @example
 * ```ts
 * import { SecretConfigProvider } from "@effect-keyvault/secrets"
 * import { Config, Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const provider = yield* SecretConfigProvider.makeRefreshing({ prefix: "billing-", refreshInterval: "10 minutes" })
 *   return yield* Effect.withConfigProvider(Config.redacted("API_KEY"), provider) // the newest value each time
 * }))
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const makeRefreshing = (
  options: Options = {}
): Effect.Effect<ConfigProvider.ConfigProvider, SecretClient.ServiceErrors, SecretClient.SecretClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const interval = yield* Validate.pollInterval(client.vaultUrl, "refreshInterval", options.refreshInterval ?? "5 minutes")
    let entries = yield* readSnapshot(client, options, new Map())
    let current = providerOf(entries)
    const reload = Effect.suspend(() => readSnapshot(client, options, entries)).pipe(
      Effect.map((next) => {
        entries = next
        current = providerOf(next)
      }),
      Effect.catchAllCause((cause) => Effect.logDebug("SecretConfigProvider refresh failed; keeping the last values", cause))
    )
    // Follows SecretWatch.watch: every change it reports (new version, enabled or disabled, deleted, recovered,
    // expired — `expiryWarning: 0` fires once a version's `expiresOn` has passed) re-reads what changed. A failed
    // poll keeps the last values; the watch starts over after the interval and its fresh Snapshot re-syncs.
    yield* SecretWatch.watch({ prefix: options.prefix, interval, expiryWarning: Duration.zero }).pipe(
      Stream.tapErrorCause((cause) => Effect.logDebug("SecretConfigProvider watch failed; retrying", cause)),
      Stream.retry(Schedule.spaced(interval)),
      Stream.drop(1), // the first Snapshot is the state just read
      Stream.runForEachChunk(() => reload), // one re-read per poll, however many changes it saw
      // Its own traces: not children of this constructor's span, which ends when it returns.
      Effect.mapInputContext((context: Context.Context<SecretClient.SecretClient>) => Context.omit(Tracer.ParentSpan)(context)),
      Effect.forkScoped
    )
    const provider = ConfigProvider.fromFlat(ConfigProvider.makeFlat({
      load: (path, primitive, split) => current.flattened.load(path, primitive, split),
      enumerateChildren: (path) => current.flattened.enumerateChildren(path),
      patch: ConfigProviderPathPatch.empty
    }))
    return withheld(provider, () => Array.from(entries.values(), (e) => e.value))
  }).pipe(Effect.withSpan("SecretConfigProvider.makeRefreshing", { captureStackTrace: false }))

/**
 * The default mapping from a config path to a secret name, the inverse of {@link defaultConfigPath}:
 * segments are joined with `--`, `_` becomes `-`, lower case.
 *
 * @example
 * ```ts
 * import { SecretConfigProvider } from "@effect-keyvault/secrets"
 *
 * SecretConfigProvider.defaultSecretName(["DB", "CONNECTION_STRING"]) // "db--connection-string"
 * ```
 *
 * @since 0.2.0
 * @category Utils
 */
export const defaultSecretName = (path: ReadonlyArray<string>): string =>
  path.map((part) => part.replaceAll("_", "-").toLowerCase()).join("--")

/**
 * Settings of the lazy provider.
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretConfigProvider } from "@effect-keyvault/secrets"
 *
 * const options: SecretConfigProvider.LazyOptions = {
 *   prefix: "myapp-",
 *   cache: { timeToLive: "1 hour" },
 *   fallback: null
 * }
 * const ConfigLive = SecretConfigProvider.layerLazy(options)
 * ```
 */
export interface LazyOptions {
  /** Prepended to every secret name (e.g. `myapp-`). */
  readonly prefix?: string | undefined
  /** Config path → secret name (prefix not included). Default: {@link defaultSecretName}. */
  readonly toSecretName?: ((path: ReadonlyArray<string>) => string) | undefined
  /** Where lookups go when the vault has no such secret. Default: `ConfigProvider.fromEnv()`; `null` for none. */
  readonly fallback?: ConfigProvider.ConfigProvider | null | undefined
  /** Treat secrets whose `expiresOn` has passed as missing. Default: true. */
  readonly skipExpired?: boolean | undefined
  /** Settings of the `SecretCache` the reads go through. */
  readonly cache?: SecretCache.Options | undefined
}

// Key Vault's name rule; a path that maps to anything else cannot be a secret, so it is not looked up.
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/

/**
 * A provider that reads each config key from the vault when it is first asked for (through a `SecretCache`,
 * so later reads come from memory, are refreshed in the background and survive outages). A missing, disabled
 * or expired secret is missing data (the next provider, if any, is asked); any other failure is
 * `SourceUnavailable`. Values never appear in errors. Keys cannot be enumerated (`Config.hashMap` over the
 * vault needs the snapshot provider).
 *
 * @example
 * ```ts
 * import { SecretConfigProvider } from "@effect-keyvault/secrets"
 * import { Config, Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const provider = yield* SecretConfigProvider.makeLazy({ prefix: "billing-" })
 *   // reads only the secret "billing-api-key"
 *   return yield* Effect.withConfigProvider(Config.redacted("API_KEY"), provider)
 * }))
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const makeLazy = (
  options: LazyOptions = {}
): Effect.Effect<ConfigProvider.ConfigProvider, never, SecretClient.SecretClient | Scope.Scope> =>
  Effect.gen(function*() {
    const cache = yield* SecretCache.make(options.cache)
    const prefix = options.prefix ?? ""
    const toName = options.toSecretName ?? defaultSecretName
    const skipExpired = options.skipExpired !== false
    // Values read so far, for the message check on errors built outside the provider.
    const seen = new Set<string>()
    const flat = ConfigProvider.makeFlat({
      load: <A>(path: ReadonlyArray<string>, primitive: Config.Config.Primitive<A>, split: boolean) =>
        Effect.gen(function*() {
          const name = prefix + toName(path)
          const missing = ConfigError.MissingData([...path], `Expected Key Vault secret ${name} to exist`)
          if (!SECRET_NAME.test(name)) return yield* Effect.fail(missing)
          const secret = yield* cache.get(name).pipe(
            Effect.mapError((e) =>
              e._tag === "NotFound" || e._tag === "Forbidden"
                ? missing
                : ConfigError.SourceUnavailable([...path], `Cannot read Key Vault secret ${name}: ${e._tag}`, Cause.fail(e))
            )
          )
          if (skipExpired && isExpired(secret.properties, yield* DateTime.now)) return yield* Effect.fail(missing)
          const text = Redacted.value(secret.value)
          seen.add(text)
          return yield* Effect.forEach(split ? text.split(",") : [text], (part) => primitive.parse(split ? part.trim() : part)).pipe(
            // The parser's message may quote the value; say which secret instead.
            Effect.mapError(() => ConfigError.InvalidData([...path], `Key Vault secret ${name} does not hold a valid value (not shown)`))
          )
        }),
      enumerateChildren: () => Effect.succeed(HashSet.empty<string>()),
      patch: ConfigProviderPathPatch.empty
    })
    return withheld(ConfigProvider.fromFlat(flat), () => seen)
  })

/**
 * Install the lazy provider ({@link makeLazy}), with `fallback` (the environment by default) for keys the vault
 * does not have. Building the layer reads nothing.
 *
 * @example
 * ```ts
 * import { Credential, SecretClient, SecretConfigProvider } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Config, Effect, Layer } from "effect"
 *
 * const SecretsLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * const ConfigLive = SecretConfigProvider.layerLazy({ prefix: "myapp-" }).pipe(Layer.provide(SecretsLive))
 *
 * // One read of "myapp-db-password", when this runs
 * const password = Config.redacted("DB_PASSWORD").pipe(Effect.provide(ConfigLive))
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerLazy = (options: LazyOptions = {}): Layer.Layer<never, never, SecretClient.SecretClient> =>
  Layer.unwrapScoped(Effect.map(makeLazy(options), (provider) => {
    const fallback = options.fallback === undefined ? ConfigProvider.fromEnv() : options.fallback
    if (fallback === null) return Layer.setConfigProvider(provider)
    return Layer.setConfigProvider(withheld(ConfigProvider.orElse(provider, () => fallback), valuesOf.get(provider) ?? []))
  }))

/**
 * Load the snapshot and install it as the `ConfigProvider`, with `fallback` (the environment by default) for
 * keys the vault does not have. With `refreshInterval`, the snapshot is kept current ({@link makeRefreshing}).
 *
 * @example
 * ```ts
 * import { Credential, SecretClient, SecretConfigProvider } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { ConfigProvider, Layer } from "effect"
 *
 * const SecretsLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * // In tests: vault snapshot, then a fixed map instead of the environment.
 * const ConfigTest = SecretConfigProvider.layer({
 *   fallback: ConfigProvider.fromMap(new Map([["PORT", "5432"]]))
 * }).pipe(Layer.provide(SecretsLive))
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options: Options = {}): Layer.Layer<never, SecretClient.ServiceErrors, SecretClient.SecretClient> =>
  Layer.unwrapScoped(Effect.map(options.refreshInterval === undefined ? load(options) : makeRefreshing(options), (provider) => {
    const fallback = options.fallback === undefined ? ConfigProvider.fromEnv() : options.fallback
    if (fallback === null) return Layer.setConfigProvider(provider)
    // `orElse` works on the flat providers: the message check must wrap the combination again.
    const values = valuesOf.get(provider) ?? []
    return Layer.setConfigProvider(withheld(ConfigProvider.orElse(provider, () => fallback), values))
  }))

// ---------------------------------------------------------------------------------------------------------
// Keeping vault values out of ConfigError

const placeholder = "<redacted>"

const mapMessages = (
  error: ConfigError.ConfigError,
  f: (message: string) => string,
  only?: "InvalidData"
): ConfigError.ConfigError =>
  ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left, right) => ConfigError.And(left, right),
    orCase: (_, left, right) => ConfigError.Or(left, right),
    invalidDataCase: (_, path, message) => ConfigError.InvalidData(path, f(message)),
    missingDataCase: (_, path, message) => ConfigError.MissingData(path, only ? message : f(message)),
    sourceUnavailableCase: (_, path, message, cause) =>
      ConfigError.SourceUnavailable(path, only ? message : f(message), cause),
    unsupportedCase: (_, path, message) => ConfigError.Unsupported(path, only ? message : f(message))
  })

/** The first message of an error tree. */
const firstMessage = (error: ConfigError.ConfigError): string =>
  ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: string) => left,
    orCase: (_, left: string) => left,
    invalidDataCase: (_, _path, message) => message,
    missingDataCase: (_, _path, message) => message,
    sourceUnavailableCase: (_, _path, message) => message,
    unsupportedCase: (_, _path, message) => message
  })

/**
 * A primitive that fails to parse a vault value says why with the value itself in the message (InvalidData).
 * Parsing the placeholder instead gives Effect's own wording with `<redacted>` where the value was.
 */
const redacting = (provider: ConfigProvider.ConfigProvider): ConfigProvider.ConfigProvider => {
  const flat = provider.flattened
  return ConfigProvider.fromFlat(ConfigProvider.makeFlat({
    patch: flat.patch,
    enumerateChildren: flat.enumerateChildren,
    load: (path, primitive, split) =>
      Effect.catchAll(flat.load(path, primitive, split), (error) =>
        Effect.flatMap(Effect.either(primitive.parse(placeholder)), (described) => {
          const safe = described._tag === "Left" ? firstMessage(described.left) : `Invalid value ${placeholder}`
          return Effect.fail(mapMessages(error, () => safe, "InvalidData"))
        }))
  }))
}

/** The values behind each provider made here, so `layer` can wrap its `orElse` combination again. */
const valuesOf = new WeakMap<ConfigProvider.ConfigProvider, Iterable<string> | (() => Iterable<string>)>()

/** Shorter runs than this are too common to mean "this message quotes a value". */
const window = 5

/**
 * Messages built outside the provider (`Config.mapAttempt`, `Config.validate`, …) can still quote a value,
 * a piece of one split as a list, or a truncated prefix (Node's `JSON.parse` errors do): a message that
 * shares {@link window} consecutive characters with a vault value (or contains a shorter value as a
 * whole word) is withheld as a whole.
 */
const withheld = (
  provider: ConfigProvider.ConfigProvider,
  values: Iterable<string> | (() => Iterable<string>) // a function: values that change (refresh, lazy reads)
): ConfigProvider.ConfigProvider => {
  const fixed = typeof values === "function" ? undefined : [...values]
  const current = typeof values === "function" ? values : () => fixed!
  // Messages are short and values up to 25 KB: index the message, then scan the values (error path only).
  const quotesAValue = (message: string): boolean => {
    const runs = new Set<string>()
    for (let i = 0; i + window <= message.length; i++) runs.add(message.slice(i, i + window))
    const words = new Set(message.split(/[\s"'`()[\]{},:;=]+/))
    for (const value of current()) {
      if (value.length >= window) {
        for (let i = 0; i + window <= value.length; i++) if (runs.has(value.slice(i, i + window))) return true
      } else if (value.trim() !== "" && words.has(value.trim())) {
        return true
      }
      for (const piece of value.split(",")) {
        const p = piece.trim()
        if (p !== "" && p.length < window && words.has(p)) return true
      }
    }
    return false
  }
  const scrub = (message: string) =>
    quotesAValue(message) ? `Invalid data (message withheld: it quoted a vault value, ${placeholder})` : message
  const wrapped = ConfigProvider.make({
    load: (config) => Effect.mapError(provider.load(config), (error) => mapMessages(error, scrub)),
    flattened: provider.flattened
  })
  valuesOf.set(wrapped, typeof values === "function" ? values : fixed!)
  return wrapped
}
