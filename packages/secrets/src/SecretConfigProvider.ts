/**
 * `SecretConfigProvider`: Key Vault secrets as an Effect `ConfigProvider`, so application code reads
 * `Config.redacted("DB_PASSWORD")` and does not know whether the value came from the vault or the environment.
 *
 * The vault is read once, when the layer is built (a snapshot: list, then get every enabled secret with bounded
 * concurrency), the way .NET's and Spring's Key Vault configuration providers work. Secret names map to config
 * paths by the common convention: `-` becomes `_`, `--` separates nesting levels, and names are upper-cased
 * (`db-password` → `DB_PASSWORD`, `db--password` → `DB.PASSWORD`, i.e. `Config.nested("DB")(Config.string("PASSWORD"))`).
 *
 * Values never appear in config errors: a vault value that does not parse (e.g. `Config.number` over a
 * non-numeric secret) fails with `Expected a number value but received <redacted>`, and any other
 * `ConfigError` message that would quote a vault value (from `Config.mapAttempt`, `Config.validate`, …) is
 * replaced. This holds for the provider returned by {@link load} and the one {@link layer} installs; a provider
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
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as SecretClient from "./SecretClient.js"

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
 * Disabled secrets are skipped; so are secrets that become unreadable between the listing and the read
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
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const prefix = options.prefix?.toLowerCase() ?? ""
    const toPath = options.toConfigPath ?? defaultConfigPath
    const names = yield* client.listPropertiesOfSecrets().pipe(
      Stream.filter((p) => p.enabled !== false && p.name.toLowerCase().startsWith(prefix)),
      Stream.map((p) => p.name),
      Stream.runCollect
    )
    const entries = yield* Effect.forEach(
      names,
      (name) =>
        client.getSecret(name).pipe(
          Effect.map((secret) => [toPath(name.slice(prefix.length)), Redacted.value(secret.value)] as const),
          // Deleted or disabled since the listing: not part of the snapshot.
          Effect.catchTags({ NotFound: () => Effect.succeed(undefined), Forbidden: () => Effect.succeed(undefined) })
        ),
      { concurrency: options.concurrency ?? 8 }
    )
    const map = new Map<string, string>()
    for (const entry of entries) if (entry !== undefined) map.set(entry[0], entry[1])
    return withheld(redacting(ConfigProvider.fromMap(map)), map.values())
  }).pipe(Effect.withSpan("SecretConfigProvider.load", { captureStackTrace: false }))

/**
 * Load the snapshot and install it as the `ConfigProvider`, with `fallback` (the environment by default) for
 * keys the vault does not have.
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
  Layer.unwrapEffect(Effect.map(load(options), (provider) => {
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
const valuesOf = new WeakMap<ConfigProvider.ConfigProvider, ReadonlyArray<string>>()

/** Shorter runs than this are too common to mean "this message quotes a value". */
const window = 5

/**
 * Messages built outside the provider (`Config.mapAttempt`, `Config.validate`, …) can still quote a value,
 * a piece of one split as a list, or a truncated prefix (Node's `JSON.parse` errors do): a message that
 * shares {@link window} consecutive characters with a vault value (or contains a shorter value as a
 * whole word) is withheld as a whole.
 */
const withheld = (provider: ConfigProvider.ConfigProvider, values: Iterable<string>): ConfigProvider.ConfigProvider => {
  const all = [...values]
  // Messages are short and values up to 25 KB: index the message, then scan the values (error path only).
  const quotesAValue = (message: string): boolean => {
    const runs = new Set<string>()
    for (let i = 0; i + window <= message.length; i++) runs.add(message.slice(i, i + window))
    const words = new Set(message.split(/[\s"'`()[\]{},:;=]+/))
    for (const value of all) {
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
  valuesOf.set(wrapped, all)
  return wrapped
}
