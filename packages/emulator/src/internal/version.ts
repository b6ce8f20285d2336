/**
 * The package version, reported by `effect-keyvault-emulator --version`. A constant (as in `effect`'s own
 * `internal/version.ts`) so it works from source, ESM and CJS builds alike; a test keeps it equal to
 * package.json.
 *
 * @internal
 */
export const version: string = "0.1.0"
