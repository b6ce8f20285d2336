/**
 * `SecretConfigProvider`: Key Vault secrets as an Effect `ConfigProvider`, so application code reads
 * `Config.redacted("DB_PASSWORD")` and does not know whether the value came from the vault or the environment.
 *
 * The vault is read once, when the layer is built (a snapshot: list, then get every enabled secret with bounded
 * concurrency), the way .NET's and Spring's Key Vault configuration providers work. Secret names map to config
 * paths by the common convention: `-` becomes `_`, `--` separates nesting levels, and names are upper-cased
 * (`db-password` → `DB_PASSWORD`, `db--password` → `DB.PASSWORD`, i.e. `Config.nested("DB")(Config.string("PASSWORD"))`).
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
    return ConfigProvider.fromMap(map)
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
    return Layer.setConfigProvider(fallback === null ? provider : ConfigProvider.orElse(provider, () => fallback))
  }))
