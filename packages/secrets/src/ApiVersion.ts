/**
 * The Key Vault REST api-versions this client can speak.
 *
 * @example
 * ```ts
 * import { ApiVersion, SecretClient } from "@effect-keyvault/secrets"
 *
 * // Pin an older api-version, e.g. for a sovereign cloud that lags behind
 * const version: ApiVersion.ApiVersion = "7.4"
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net", apiVersion: version })
 * assert.strictEqual(ApiVersion.supportsOutContentType(version), false)
 * ```
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Every supported api-version, oldest first. `2016-10-01` is the pre-7.0 version (Python's
 * `ApiVersion.V2016_10_01`); the previews appear in real service traffic (recordings of the official SDKs).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { ApiVersion } from "@effect-keyvault/secrets"
 *
 * // Pick the newest GA version from the list, ignoring previews
 * const ga = ApiVersion.all.filter((v) => !v.includes("preview"))
 * assert.deepStrictEqual(ga[ga.length - 1], "2026-04-01")
 * ```
 */
export const all = [
  "2016-10-01",
  "7.0",
  "7.1",
  "7.2",
  "7.3",
  "7.4-preview.1",
  "7.4",
  "7.5",
  "7.6-preview.2",
  "7.6",
  "2025-07-01",
  "2026-03-01-preview",
  "2026-04-01"
] as const

/**
 * A supported api-version string.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { ApiVersion } from "@effect-keyvault/secrets"
 *
 * const pinned: ApiVersion.ApiVersion = "7.5"
 * assert.deepStrictEqual(ApiVersion.supportsOutContentType(pinned), false)
 * ```
 */
export type ApiVersion = typeof all[number]

/**
 * Schema accepting only supported api-versions.
 *
 * @since 0.1.0
 * @category Schemas
 *
 * @example
 * ```ts
 * import { ApiVersion } from "@effect-keyvault/secrets"
 * import { Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(ApiVersion.ApiVersion)
 * assert.deepStrictEqual(decode("7.6")._tag, "Right")
 * assert.deepStrictEqual(decode("8.0")._tag, "Left")
 * ```
 */
export const ApiVersion: Schema.Literal<typeof all> = Schema.Literal(...all)

/**
 * The default: the newest GA version.
 *
 * @since 0.1.0
 * @category Constants
 *
 * @example
 * ```ts
 * import { ApiVersion } from "@effect-keyvault/secrets"
 *
 * assert.deepStrictEqual(ApiVersion.latest, "2026-04-01")
 * ```
 */
export const latest: ApiVersion = "2026-04-01"

/**
 * Whether `outContentType` on GetSecret exists in this version (added in 2025-07-01, so also in the
 * 2026 versions).
 *
 * @since 0.1.0
 * @category Guards
 *
 * @example
 * ```ts
 * import { ApiVersion } from "@effect-keyvault/secrets"
 *
 * assert.deepStrictEqual(ApiVersion.supportsOutContentType("2025-07-01"), true)
 * assert.deepStrictEqual(ApiVersion.supportsOutContentType("2026-03-01-preview"), true)
 * assert.deepStrictEqual(ApiVersion.supportsOutContentType("7.6"), false)
 * ```
 */
export const supportsOutContentType = (version: ApiVersion): boolean =>
  version === "2025-07-01" || version === "2026-03-01-preview" || version === "2026-04-01"

/**
 * Type guard for supported api-version strings.
 *
 * @since 0.1.0
 * @category Guards
 *
 * @example
 * ```ts
 * import { ApiVersion } from "@effect-keyvault/secrets"
 *
 * const fromEnv: unknown = process.env.KEYVAULT_API_VERSION ?? "7.6"
 * const version = ApiVersion.isApiVersion(fromEnv) ? fromEnv : ApiVersion.latest
 * console.log(version)
 * ```
 */
export const isApiVersion = (u: unknown): u is ApiVersion =>
  typeof u === "string" && (all as ReadonlyArray<string>).includes(u)
