/**
 * `effect-keyvault`: a command line for Azure Key Vault secrets and the local emulator. The bin runs
 * `Cli.run(process.argv)` and exits with the code it returns.
 *
 * @example
 * ```ts
 * import { Cli, ExitCode } from "@effect-keyvault/cli"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * const code = Cli.run(["node", "effect-keyvault", "--version"]).pipe(Effect.provide(NodeContext.layer))
 * Effect.runPromise(code).then((c) => assert.strictEqual(c, ExitCode.Ok))
 * ```
 *
 * @since 0.1.0
 */

/**
 * The root command and the runner (`Cli.run(argv)` → exit code).
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-keyvault/cli"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * const code = Cli.run(["node", "effect-keyvault", "--help"]).pipe(Effect.provide(NodeContext.layer))
 * Effect.runPromise(code).then((c) => assert.strictEqual(c, 0))
 * ```
 */
export * as Cli from "./Cli.js"

/**
 * Failures of the command line itself: bad input (exit 2) and local failures (exit 1 or a given code).
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { CliError, ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.fromError(new CliError.UsageError({ message: "bad flag" })), 2)
 * ```
 */
export * as CliError from "./CliError.js"

/**
 * The exit code table and the error → code mapping.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { ExitCode } from "@effect-keyvault/cli"
 *
 * assert.strictEqual(ExitCode.Throttled, 5)
 * ```
 */
export * as ExitCode from "./ExitCode.js"
