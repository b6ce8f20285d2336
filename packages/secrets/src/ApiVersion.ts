/**
 * The Key Vault REST api-versions this client can speak.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Every supported api-version, oldest first (the two previews appear in real recordings and the official SDK).
 *
 * @since 0.1.0
 * @category Models
 */
export const all = [
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
  "2026-04-01"
] as const

/**
 * A supported api-version string.
 *
 * @since 0.1.0
 * @category Models
 */
export type ApiVersion = typeof all[number]

/**
 * Schema accepting only supported api-versions.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const ApiVersion: Schema.Literal<typeof all> = Schema.Literal(...all)

/**
 * The default: the newest GA version.
 *
 * @since 0.1.0
 * @category Constants
 */
export const latest: ApiVersion = "2026-04-01"

/**
 * Whether `outContentType` on GetSecret exists in this version (added in 2025-07-01).
 *
 * @since 0.1.0
 * @category Guards
 */
export const supportsOutContentType = (version: ApiVersion): boolean =>
  version === "2025-07-01" || version === "2026-04-01"

/**
 * Type guard for supported api-version strings.
 *
 * @since 0.1.0
 * @category Guards
 */
export const isApiVersion = (u: unknown): u is ApiVersion =>
  typeof u === "string" && (all as ReadonlyArray<string>).includes(u)
