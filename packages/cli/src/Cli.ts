/**
 * The `effect-keyvault` command line: the root command, and `run` that parses argv, runs a command and turns
 * every failure into one line on stderr plus an exit code (see {@link ExitCode}).
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-keyvault/cli"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * // What bin.ts does: run, then exit with the code
 * const main = Cli.run(["node", "effect-keyvault", "--version"]).pipe(Effect.provide(NodeContext.layer))
 * Effect.runPromise(main).then((code) => assert.strictEqual(code, 0))
 * ```
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { UsageError } from "./CliError.js"
import * as ExitCode from "./ExitCode.js"
import * as Commands from "./internal/commands.js"
import { version } from "./internal/version.js"

/**
 * The root command with every subcommand (`get`, `show`, `set`, `list`, `versions`, `update`, `delete`,
 * `recover`, `purge`, `backup`, `restore`, `export`, `import`, `run`).
 *
 * @since 0.1.0
 * @category Commands
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-keyvault/cli"
 * import { Command } from "@effect/cli"
 * import { HashMap } from "effect"
 *
 * const names = HashMap.keys(Command.getSubcommands(Cli.command))
 * assert.ok(Array.from(names).includes("export"))
 * ```
 */
export const command = Command.make(
  "effect-keyvault",
  {},
  () =>
    Effect.fail(
      new UsageError({
        message: "missing command: get, show, set, list, versions, update, delete, recover, purge, backup, restore, export, import or run (see --help)"
      })
    )
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p("Azure Key Vault secrets from the terminal and from scripts, on @effect-keyvault/secrets."),
      HelpDoc.p(
        "Vault: --vault-url or AZURE_KEYVAULT_URL, signed in with DefaultAzureCredential (or --token / EFFECT_KEYVAULT_TOKEN). http:// is accepted for loopback hosts only, with a fixed token unless --token is given. --emulator uses an embedded emulator that keeps its state in a file."
      ),
      HelpDoc.p(
        "Values are read from stdin or files and are printed only by get; export writes them to 0600 files; run passes them to a program as environment variables."
      ),
      HelpDoc.p("Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 forbidden or unauthorized, 5 throttled, 6 conflict.")
    ])
  ),
  Command.withSubcommands(Commands.all)
)

const cli = (argv: ReadonlyArray<string>) =>
  Command.run(command, { name: "effect-keyvault", version })(argv).pipe(
    Effect.provide(CliConfig.layer({ showBuiltIns: true }))
  )

const label: Record<string, string> = {
  NotFound: "not found",
  Forbidden: "forbidden",
  Unauthorized: "unauthorized",
  Throttled: "throttled",
  Exists: "conflict",
  InvalidArgument: "invalid argument",
  CredentialError: "no credential",
  TokenError: "no credential",
  ChallengeError: "authentication challenge refused",
  TransportError: "cannot reach the vault",
  HttpError: "unexpected HTTP response",
  MalformedResponse: "unexpected response",
  PollingTimeout: "timed out"
}

// One line per failure. Service messages never carry a value; request ids are kept for support tickets.
const describe = (error: { readonly _tag: string; readonly message?: string }): string => {
  const tag = error._tag
  // The first sentence: the service appends help links and advice after it.
  const message = (error.message ?? "").replace(/\s+/g, " ").trim().split(/(?<=\.) (?=[A-Z])/)[0]
  const prefix = label[tag]
  const requestId = "requestId" in error && typeof error.requestId === "string" ? ` (request id ${error.requestId})` : ""
  const disabled = tag === "Forbidden" && "disabled" in error && error.disabled === true ? " (the secret is disabled)" : ""
  return `${prefix === undefined ? message : `${prefix}: ${message}`}${disabled}${requestId}`
}

const ansi = /\x1b\[[0-9;]*m/g
const colors = (stream: NodeJS.WriteStream) => stream.isTTY === true && process.env.NO_COLOR === undefined

// The type blurb @effect/cli puts under every flag ("A user-defined piece of text."), which says nothing the
// flag's own description does not.
const blurb = /\n(?:\x1b\[[0-9;]*m)*\s*(?:A user-defined piece of text(?: that is confidential)?|A true or false value|An integer)\.(?:\x1b\[[0-9;]*m)*\n/g

// @effect/cli always renders help and parse errors with ANSI styles; keep them for terminals only.
const plainWhereNeeded = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.flatMap(Effect.console, (console) => {
  const write = (stream: NodeJS.WriteStream) => (...args: ReadonlyArray<unknown>) =>
    Effect.sync(() => {
      const text = args.map(String).join(" ").replace(blurb, "\n")
      stream.write(`${colors(stream) ? text : text.replace(ansi, "")}\n`)
    })
  return Effect.withConsole(self, { ...console, log: write(process.stdout), error: write(process.stderr) })
})

/**
 * Run the command line for `argv` (as in `process.argv`: runtime, script, then arguments). Prints results on
 * stdout, errors as one line on stderr, and succeeds with the exit code; never fails.
 *
 * @since 0.1.0
 * @category Running
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-keyvault/cli"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * // No vault configured: a usage error, exit code 2
 * const code = Cli.run(["node", "effect-keyvault", "list", "--vault-url", "http://example.com"]).pipe(
 *   Effect.provide(NodeContext.layer)
 * )
 * Effect.runPromise(code).then((c) => assert.strictEqual(c, 2))
 * ```
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  cli(argv).pipe(
    Effect.as(ExitCode.Ok),
    Effect.catchAll((error): Effect.Effect<number> => {
      if (error instanceof Commands.ExitWith) return Effect.succeed(error.code)
      // @effect/cli has already printed the help text or parse error.
      if (ValidationError.isValidationError(error)) {
        return Effect.succeed(ValidationError.isHelpRequested(error) ? ExitCode.Ok : ExitCode.Usage)
      }
      return Console.error(`effect-keyvault: ${describe(error as { _tag: string })}`).pipe(
        Effect.as(ExitCode.fromError(error as { _tag: string }))
      )
    }),
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.succeed(ExitCode.Interrupted)
        : Console.error(`effect-keyvault: unexpected failure: ${Cause.pretty(cause).split("\n")[0]}`).pipe(
          Effect.as(ExitCode.Failure)
        )
    ),
    plainWhereNeeded
  )
