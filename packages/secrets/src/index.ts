/**
 * Azure Key Vault Secrets for Effect: a typed `SecretClient`, Schema models, `Redacted` values, retry and
 * polling policies, a read-through cache and a `ConfigProvider`.
 *
 * @example
 * ```ts
 * import { ApiVersion, Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net", apiVersion: ApiVersion.latest }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   yield* client.setSecret("greeting", "hello")
 *   const secret = yield* client.getSecret("greeting")
 *   return Redacted.value(secret.value)
 * }).pipe(Effect.provide(ClientLive))
 * ```
 *
 * @since 0.1.0
 */

/**
 * The Key Vault REST api-versions this client can speak.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { ApiVersion } from "@effect-keyvault/secrets"
 *
 * assert.strictEqual(ApiVersion.latest, "2026-04-01")
 * assert.strictEqual(ApiVersion.isApiVersion("7.4"), true)
 * ```
 */
export * as ApiVersion from "./ApiVersion.js"

/**
 * Where tokens come from: any `@azure/identity` credential, or a static token for the emulator.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 *
 * const EmulatorCredential = Credential.layerStatic("emulator-token")
 * ```
 */
export * as Credential from "./Credential.js"

/**
 * The public models: `KeyVaultSecret`, `SecretProperties`, `DeletedSecret`.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { KeyVaultSecret } from "@effect-keyvault/secrets"
 * import { Redacted } from "effect"
 *
 * const show = (secret: KeyVaultSecret.KeyVaultSecret) => `${secret.name} = ${Redacted.value(secret.value).length} chars`
 * ```
 */
export * as KeyVaultSecret from "./KeyVaultSecret.js"

/**
 * Parse secret identifiers (`https://<vault>/secrets/<name>/<version>`).
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 *
 * assert.deepStrictEqual(KeyVaultSecretIdentifier.unsafeParse("https://v.vault.azure.net/secrets/db").name, "db")
 * ```
 */
export * as KeyVaultSecretIdentifier from "./KeyVaultSecretIdentifier.js"

/**
 * How delete/recover pollers wait between checks.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { PollingPolicy } from "@effect-keyvault/secrets"
 *
 * const FastPolling = PollingPolicy.layer(PollingPolicy.make({ interval: "100 millis" }))
 * ```
 */
export * as PollingPolicy from "./PollingPolicy.js"

/**
 * Handles for long-running delete/recover operations.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Poller } from "@effect-keyvault/secrets"
 * import { Schema } from "effect"
 *
 * // A saved poller state (from `poller.serialize`) is plain JSON without secret values
 * const state = new Poller.PollerState({ operation: "recover", vaultUrl: "https://v.vault.azure.net", name: "k", isCompleted: true })
 * const json = Schema.encodeSync(Poller.PollerStateFromJson)(state)
 * assert.strictEqual(JSON.parse(json).operation, "recover")
 * ```
 */
export * as Poller from "./Poller.js"

/**
 * Which failures are retried, and how long to wait.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 *
 * const NoRetry = RetryPolicy.layer(RetryPolicy.none)
 * ```
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * Read-through in-memory caching of secrets.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { SecretCache } from "@effect-keyvault/secrets"
 *
 * const CacheLive = SecretCache.layer({ timeToLive: "8 hours" })
 * ```
 */
export * as SecretCache from "./SecretCache.js"

/**
 * Every Key Vault secrets operation as a typed Effect.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const value = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(Effect.map((s) => s.value))
 * ```
 */
export * as SecretClient from "./SecretClient.js"

/**
 * Key Vault secrets as an Effect `ConfigProvider`.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { SecretConfigProvider } from "@effect-keyvault/secrets"
 *
 * assert.deepStrictEqual(SecretConfigProvider.defaultConfigPath("db--password"), "DB.PASSWORD")
 * ```
 */
export * as SecretConfigProvider from "./SecretConfigProvider.js"

/**
 * Typed errors for every SecretClient operation.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * const notFound = (u: unknown) => SecretError.isSecretError(u) && u._tag === "NotFound"
 * ```
 */
export * as SecretError from "./SecretError.js"

/**
 * Soft-delete-aware writes: `upsertSecret` (recover or purge a soft-deleted name, then set) and `deleteAndPurge`.
 *
 * @since 0.2.0
 *
 * @example
 * ```ts
 * import { SecretWrites } from "@effect-keyvault/secrets"
 *
 * const write = SecretWrites.upsertSecret("db-password", "s3cret", { onDeleted: "recover" })
 * ```
 */
export * as SecretWrites from "./SecretWrites.js"

/**
 * Change streams: `watch` polls the listings and emits typed changes (new version, enabled/disabled, expiry
 * approaching, deleted, recovered, purged). Azure Event Grid is the push alternative.
 *
 * @since 0.2.0
 *
 * @example
 * ```ts
 * import { SecretWatch } from "@effect-keyvault/secrets"
 *
 * const changes = SecretWatch.watch({ names: ["db-password"], interval: "1 minute" })
 * ```
 */
export * as SecretWatch from "./SecretWatch.js"
