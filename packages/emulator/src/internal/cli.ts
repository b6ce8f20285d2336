/**
 * The `effect-keyvault-emulator` command: flags for every server option, parsed by `@effect/cli`.
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Emulator from "../Emulator.js"
import { version } from "./version.js"

/** @internal The name the package's `bin` installs. */
export const NAME = "effect-keyvault-emulator"

/**
 * Consistency windows of the standalone server unless `--instant`: the real service answers 404 for a few
 * seconds after a delete or recover, and the official SDKs' pollers (and their "resume from a stopped poller"
 * tests) rely on that. `TestVault` and the library API keep 0.
 *
 * @internal
 */
export const DEFAULT_DELAYS = { delete: "2 seconds", recover: "2 seconds", purge: "1 second" } as const

/** @internal The recovery levels the service reports (`DeletionRecoveryLevel`). */
export const RECOVERY_LEVELS = [
  "Purgeable",
  "Recoverable+Purgeable",
  "Recoverable",
  "Recoverable+ProtectedSubscription",
  "CustomizedRecoverable+Purgeable",
  "CustomizedRecoverable",
  "CustomizedRecoverable+ProtectedSubscription"
] as const

/**
 * `2s`, `500ms`, `1.5s`, `1m` or a bare number of milliseconds.
 *
 * @internal
 */
export const parseDelay = (text: string): Option.Option<Duration.Duration> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text)
  if (m === null) return Option.none()
  const n = Number(m[1])
  const unit = m[2] ?? "ms"
  return Option.some(Duration.millis(unit === "ms" ? n : unit === "s" ? n * 1000 : n * 60_000))
}

const delay = (name: string, fallback: string) =>
  Options.text(name).pipe(
    Options.withPseudoName("DURATION"),
    Options.mapEffect((text) =>
      Option.match(parseDelay(text), {
        onNone: () =>
          Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name}: expected e.g. 2s, 500ms or 0, got "${text}"`))),
        onSome: Effect.succeed
      })
    ),
    Options.optional,
    Options.withDescription(`${fallback} Units: ms, s, m (a bare number is milliseconds).`)
  )

const options = {
  port: Options.integer("port").pipe(
    Options.withAlias("p"),
    Options.withPseudoName("PORT"),
    Options.mapEffect((port) =>
      port >= 0 && port <= 65535
        ? Effect.succeed(port)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--port: expected 0..65535, got ${port}`)))
    ),
    Options.withDefault(0),
    Options.withDescription("Port to listen on; 0 picks a free port.")
  ),
  host: Options.text("host").pipe(
    Options.withPseudoName("HOST"),
    Options.withDefault("127.0.0.1"),
    Options.withDescription("Interface to bind. Plain HTTP (--http) is only served on loopback addresses.")
  ),
  http: Options.boolean("http").pipe(
    Options.withDescription("Plain HTTP instead of HTTPS with a self-signed certificate made at start.")
  ),
  token: Options.redacted("token").pipe(
    Options.withPseudoName("TOKEN"),
    Options.optional,
    Options.withDescription("Accept only \"Authorization: Bearer <token>\" (401 otherwise). Default: any bearer token.")
  ),
  data: Options.file("data").pipe(
    Options.withPseudoName("FILE"),
    Options.optional,
    Options.withDescription(
      "Keep the vault in this file (crash-safe writes) so it survives restarts; the certificate goes to <file>.cert.pem."
    )
  ),
  instant: Options.boolean("instant", { aliases: ["no-delays"] }).pipe(
    Options.withDescription(
      "No consistency delays: deletes, recovers and purges are visible at once (as in TestVault). Delay flags given explicitly still apply."
    )
  ),
  throttle: Options.boolean("throttle").pipe(
    Options.withDescription(
      "Throttle like the service: 4,000 secret transactions and 300 secret CREATEs per 10 s; over that, 429 Throttled with Retry-After."
    )
  ),
  deleteDelay: delay("delete-delay", "GET /deletedsecrets/{name} answers 404 this long after a delete. Default 2s."),
  recoverDelay: delay("recover-delay", "GET /secrets/{name} answers 404 this long after a recover. Default 2s."),
  purgeDelay: delay("purge-delay", "Setting or restoring a purged name answers 409 this long after the purge. Default 1s."),
  recoveryLevel: Options.choice("recovery-level", RECOVERY_LEVELS).pipe(
    Options.optional,
    Options.withDescription(
      "The vault's recoveryLevel (default Recoverable+Purgeable). Without Recoverable deletes are final; without Purgeable purge is refused (403)."
    )
  ),
  recoverableDays: Options.integer("recoverable-days").pipe(
    Options.withPseudoName("DAYS"),
    Options.mapEffect((days) =>
      days >= 0
        ? Effect.succeed(days)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--recoverable-days: expected a number of days >= 0, got ${days}`)))
    ),
    Options.optional,
    Options.withDescription("Soft-delete retention in days (default 90); scheduledPurgeDate = deletedDate + days.")
  ),
  challengeResource: Options.text("challenge-resource").pipe(
    Options.withPseudoName("URL"),
    Options.optional,
    Options.withDescription("The resource named in the 401 challenge (default https://vault.azure.net).")
  ),
  tenantId: Options.text("tenant-id").pipe(
    Options.withPseudoName("TENANT"),
    Options.optional,
    Options.withDescription(`The tenant in the challenge's authorization URL (default ${Emulator.DEFAULT_TENANT_ID}).`)
  ),
  authority: Options.text("authority").pipe(
    Options.withPseudoName("URL"),
    Options.optional,
    Options.withDescription("The authority in the challenge (default https://login.microsoftonline.com).")
  ),
  healthPath: Options.text("health-path").pipe(
    Options.withPseudoName("PATH"),
    Options.withDefault("/healthz"),
    Options.withDescription("GET on this path answers 200 {\"status\":\"ok\"} without a token (for health checks).")
  ),
  verbose: Options.boolean("verbose").pipe(
    Options.withAlias("v"),
    Options.withDescription(
      "Log one line per request to stdout: method, path (no query), status, duration, request id. Never values or tokens."
    )
  )
}

type Parsed = Command.Command.ParseConfig<typeof options>

const show = (d: Duration.DurationInput | undefined) => Duration.format(Duration.decode(d ?? 0))

/** @internal The server options a command line stands for. */
export const toServerOptions = (args: Parsed, log: (line: string) => void): Emulator.EmulatorOptions => {
  const pick = (explicit: Option.Option<Duration.Duration>, fallback: Duration.DurationInput) =>
    Option.getOrElse(explicit, () => args.instant ? Duration.zero : Duration.decode(fallback))
  return {
    port: args.port,
    host: args.host,
    tls: !args.http,
    consistencyDelay: {
      delete: pick(args.deleteDelay, DEFAULT_DELAYS.delete),
      recover: pick(args.recoverDelay, DEFAULT_DELAYS.recover),
      purge: pick(args.purgeDelay, DEFAULT_DELAYS.purge)
    },
    healthPath: args.healthPath,
    ...(args.throttle ? { throttle: true } : {}),
    ...Option.match(args.token, { onNone: () => ({}), onSome: (t) => ({ token: Redacted.value(t) }) }),
    ...Option.match(args.data, { onNone: () => ({}), onSome: (dataFile) => ({ dataFile }) }),
    ...Option.match(args.recoveryLevel, { onNone: () => ({}), onSome: (recoveryLevel) => ({ recoveryLevel }) }),
    ...Option.match(args.recoverableDays, { onNone: () => ({}), onSome: (recoverableDays) => ({ recoverableDays }) }),
    ...Option.match(args.challengeResource, { onNone: () => ({}), onSome: (challengeResource) => ({ challengeResource }) }),
    ...Option.match(args.tenantId, { onNone: () => ({}), onSome: (tenantId) => ({ tenantId }) }),
    ...Option.match(args.authority, { onNone: () => ({}), onSome: (authority) => ({ authority }) }),
    ...(args.verbose
      ? {
        onRequest: (e: Emulator.RequestLogEntry) =>
          log(`${new Date().toISOString()} ${e.method} ${e.path} ${e.status ?? "aborted"} ${e.durationMs.toFixed(1)}ms ${e.requestId ?? "-"}`)
      }
      : {})
  }
}

/**
 * The ready-to-paste client setup printed once the server listens. Never contains the token.
 *
 * @internal
 */
export const clientSnippet = (info: { url: string; certPath: string | undefined; hasToken: boolean }): string => {
  const token = info.hasToken ? `"<the --token value>"` : `"any-token"`
  const lines = info.certPath === undefined
    ? [
      `import { Credential, SecretClient } from "@effect-keyvault/secrets"`,
      `import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"`,
      `import { Layer } from "effect"`,
      ``,
      `export const VaultLive = SecretClient.layer({`,
      `  vaultUrl: ${JSON.stringify(info.url)},`,
      `  allowInsecureLoopback: true, // plain HTTP, loopback only`,
      `  verifyChallengeResource: false // the challenge names https://vault.azure.net, not this host`,
      `}).pipe(`,
      `  Layer.provide(Credential.layerStatic(${token})),`,
      `  Layer.provide(NodeHttpClient.layerUndici)`,
      `)`
    ]
    : [
      `import { Credential, SecretClient } from "@effect-keyvault/secrets"`,
      `import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"`,
      `import { Layer } from "effect"`,
      `import * as fs from "node:fs"`,
      ``,
      `// Trusts the emulator's certificate for this client only (never NODE_TLS_REJECT_UNAUTHORIZED=0).`,
      `export const VaultLive = SecretClient.layer({`,
      `  vaultUrl: ${JSON.stringify(info.url)},`,
      `  verifyChallengeResource: false // the challenge names https://vault.azure.net, not this host`,
      `}).pipe(`,
      `  Layer.provide(Credential.layerStatic(${token})),`,
      `  Layer.provide(NodeHttpClient.layerWithoutAgent),`,
      `  Layer.provide(NodeHttpClient.makeAgentLayer({ ca: fs.readFileSync(${JSON.stringify(info.certPath)}, "utf8"), keepAlive: true }))`,
      `)`
    ]
  return lines.join("\n")
}

const command = Command.make(NAME, options, (args) =>
  Effect.gen(function*() {
    const serverOptions = toServerOptions(args, (line) => process.stdout.write(`${line}\n`))
    const info = yield* Emulator.start(serverOptions)
    const dataFile = Option.getOrUndefined(args.data)
    // Written where each client can trust it explicitly; TLS is never disabled process-wide. A fresh
    // certificate is made at every start, so a temp-dir PEM is removed when the server stops.
    const certFile = dataFile !== undefined
      ? `${dataFile}.cert.pem`
      : path.join(os.tmpdir(), `${NAME}-${new URL(info.url).port}.pem`)
    const certPath = info.certificatePem === undefined ? undefined : yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          fs.writeFileSync(certFile, info.certificatePem!)
          return certFile
        },
        catch: (cause) =>
          new Emulator.EmulatorError({ message: `Cannot write the certificate to ${certFile}: ${String(cause)}`, cause })
      }),
      (file) => dataFile === undefined ? Effect.sync(() => fs.rmSync(file, { force: true })) : Effect.void
    )
    // These two lines come first, exactly so: scripts and tests parse them.
    yield* Console.log(`Key Vault emulator listening at ${info.url}`)
    if (certPath !== undefined) yield* Console.log(`Certificate (PEM): ${certPath}`)
    const delays = serverOptions.consistencyDelay!
    const delayText = [delays.delete, delays.recover, delays.purge].every((d) => Duration.toMillis(d ?? 0) === 0)
      ? "off (--instant)"
      : `delete ${show(delays.delete)}, recover ${show(delays.recover)}, purge ${show(delays.purge)} (--instant turns them off)`
    yield* Console.log(
      [
        ``,
        `Health:              GET ${info.url}${args.healthPath}`,
        `Consistency delays:  ${delayText}`,
        `Data:                ${dataFile ?? "in memory (--data FILE to keep it)"}`,
        `Throttling:          ${args.throttle ? "on: 4,000 transactions / 300 creates per 10 s (429 + Retry-After)" : "off (--throttle turns it on)"}`,
        `Auth:                ${Option.isSome(args.token) ? "only the --token value" : "any bearer token"}`,
        ``,
        `Client setup (@effect-keyvault/secrets):`,
        ``,
        clientSnippet({ url: info.url, certPath, hasToken: Option.isSome(args.token) }),
        ``,
        certPath === undefined
          ? `Official SDK (@azure/keyvault-secrets): it refuses http: vault URLs; start without --http for it.`
          : `Official SDK: new SecretClient(url, credential, { tlsOptions: { ca: fs.readFileSync(pem, "utf8") }, disableChallengeResourceVerification: true })`,
        ``,
        `Press Ctrl+C to stop.`
      ].join("\n")
    )
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "A local, wire-faithful Azure Key Vault (secrets) for development and tests: HTTPS with a self-signed certificate, the real 401 challenge, error shapes, paging and soft delete."
    )
  )

const cli = Command.run(command, {
  name: "Azure Key Vault emulator (@effect-keyvault/emulator)",
  version,
  executable: NAME,
  footer: HelpDoc.p(`In this repository: pnpm emulator [flags]. Installed: npx ${NAME} [flags].`)
})

/**
 * Runs the command line; resolves to the exit code (0 after a clean stop, 2 for usage errors, 1 when the
 * server cannot start).
 *
 * @internal
 */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<number> =>
  cli(argv).pipe(
    Effect.as(0),
    Effect.catchAll((e) =>
      ValidationError.isValidationError(e)
        // @effect/cli has already printed what is wrong
        ? Effect.as(Console.error(`Run ${NAME} --help for the flags.`), 2)
        : Effect.as(Console.error(`Failed to start the emulator: ${e.message}`), 1)
    ),
    Effect.provide(NodeContext.layer)
  )
