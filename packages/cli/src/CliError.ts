/**
 * Failures of the command line itself (as opposed to the vault's typed `SecretError`s).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Bad input: a flag, argument, file or value the command cannot use. Exit code 2.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { CliError } from "@effect-keyvault/cli"
 *
 * const error = new CliError.UsageError({ message: "no vault: pass --vault-url, set AZURE_KEYVAULT_URL, or use --emulator" })
 * assert.strictEqual(error._tag, "UsageError")
 * ```
 */
export class UsageError extends Schema.TaggedError<UsageError>("@effect-keyvault/cli/UsageError")("UsageError", {
  message: Schema.String
}) {}

/**
 * A local failure while running a command (a file that cannot be written, a program that cannot be started).
 * Exit code 1, or `exitCode` when set (127: the program of `run` was not found).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { CliError } from "@effect-keyvault/cli"
 *
 * const error = new CliError.CommandError({ message: "command not found: deploy.sh", exitCode: 127 })
 * assert.strictEqual(error.exitCode, 127)
 * ```
 */
export class CommandError extends Schema.TaggedError<CommandError>("@effect-keyvault/cli/CommandError")(
  "CommandError",
  { message: Schema.String, exitCode: Schema.optional(Schema.Number) }
) {}
