/**
 * A wire-faithful local Azure Key Vault (secrets): an HTTP(S) server, an in-process handler, a pure engine
 * and test layers.
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect, Layer } from "effect"
 *
 * // A real SecretClient against an in-process vault: no sockets, no Azure account
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://emulator.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerStatic("any-token")),
 *   Layer.provide(Emulator.layerInProcess())
 * )
 * const names = Effect.flatMap(SecretClient.SecretClient, (c) => c.setSecret("a", "1")).pipe(
 *   Effect.map((secret) => secret.name),
 *   Effect.provide(ClientLive)
 * )
 * ```
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Emulator from "./Emulator.js"

/**
 * The vault engine: state and rules of the secrets data plane, without HTTP.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { VaultEngine } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const engine = Effect.runSync(VaultEngine.make())
 * ```
 */
export * as VaultEngine from "./VaultEngine.js"

/**
 * Test layers: a real `SecretClient` over an in-process vault, with fault injection.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 *
 * const TestLive = TestVault.layer({ seed: [{ name: "db-password", value: "s3cret" }] })
 * ```
 */
export * as TestVault from "./TestVault.js"
