/**
 * The exit codes of `effect-keyvault`, and how errors map to them.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | any other failure (network, unexpected response, local file) |
 * | 2 | usage: bad flag, argument, input file or value |
 * | 3 | not found (secret, version or deleted secret) |
 * | 4 | access denied: 403 (including a disabled secret), 401, or no credential |
 * | 5 | throttled (429 after the retries) |
 * | 6 | conflict: the name is deleted but not purged, a delete is in progress, a restore clashes |
 * | 130 | interrupted (Ctrl-C) |
 *
 * `run` exits with its program's code instead (128 + signal number when the program is killed by a signal,
 * 127 when it cannot be started).
 *
 * @since 0.1.0
 */
import type * as SecretError from "@effect-keyvault/secrets/SecretError"
import type * as CliError from "./CliError.js"

/**
 * Success.
 *
 * @since 0.1.0
 * @category Codes
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.Ok, 0)
 * ```
 */
export const Ok = 0
/**
 * Any failure without a more specific code.
 *
 * @since 0.1.0
 * @category Codes
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.Failure, 1)
 * ```
 */
export const Failure = 1
/**
 * Bad flag, argument, input file or value.
 *
 * @since 0.1.0
 * @category Codes
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.Usage, 2)
 * ```
 */
export const Usage = 2
/**
 * The secret, version or deleted secret does not exist.
 *
 * @since 0.1.0
 * @category Codes
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.NotFound, 3)
 * ```
 */
export const NotFound = 3
/**
 * The vault refused the caller (403, 401) or no credential could be obtained.
 *
 * @since 0.1.0
 * @category Codes
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.Forbidden, 4)
 * ```
 */
export const Forbidden = 4
/**
 * The vault kept answering 429.
 *
 * @since 0.1.0
 * @category Codes
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.Throttled, 5)
 * ```
 */
export const Throttled = 5
/**
 * A conflict (409): deleted but not purged, being deleted, or a restore that clashes.
 *
 * @since 0.1.0
 * @category Codes
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.Conflict, 6)
 * ```
 */
export const Conflict = 6
/**
 * Interrupted by SIGINT/SIGTERM.
 *
 * @since 0.1.0
 * @category Codes
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.Interrupted, 130)
 * ```
 */
export const Interrupted = 130

/**
 * The exit code for a failure of a command.
 *
 * @since 0.1.0
 * @category Mapping
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * const missing = new SecretError.NotFound({ vault: "https://v.vault.azure.net", status: 404, message: "not found" })
 * assert.strictEqual(ExitCode.fromError(missing), 3)
 * ```
 */
export const fromError = (
  error: SecretError.SecretError | CliError.UsageError | CliError.CommandError | { readonly _tag: string }
): number => {
  switch (error._tag) {
    case "UsageError":
    case "InvalidArgument":
      return Usage
    case "CommandError":
      return (error as CliError.CommandError).exitCode ?? Failure
    case "NotFound":
      return NotFound
    case "Forbidden":
    case "Unauthorized":
    case "CredentialError":
    case "TokenError":
      return Forbidden
    case "Throttled":
      return Throttled
    case "Exists":
      return Conflict
    default:
      return Failure
  }
}
