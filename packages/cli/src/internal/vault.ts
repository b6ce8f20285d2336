/**
 * Where the vault is: `--vault-url` / `AZURE_KEYVAULT_URL`, or `--emulator` (an in-process emulator whose state
 * lives in a file), and how to authenticate.
 */
import * as Options from "@effect/cli/Options"
import * as Credential from "@effect-keyvault/secrets/Credential"
import * as PollingPolicy from "@effect-keyvault/secrets/PollingPolicy"
import * as SecretClient from "@effect-keyvault/secrets/SecretClient"
import type * as SecretError from "@effect-keyvault/secrets/SecretError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as os from "node:os"
import * as path from "node:path"
import { UsageError } from "../CliError.js"

/** @internal */
export interface VaultOptions {
  readonly vaultUrl: Option.Option<string>
  readonly emulator: boolean
  readonly emulatorData: Option.Option<string>
  readonly token: Option.Option<Redacted.Redacted<string>>
}

/** The connection flags every vault command takes. @internal */
export const options: Options.Options<VaultOptions> = Options.all({
  vaultUrl: Options.text("vault-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription("Vault URL, e.g. https://my-vault.vault.azure.net (default: $AZURE_KEYVAULT_URL)."),
    Options.withFallbackConfig(Config.string("AZURE_KEYVAULT_URL")),
    Options.optional
  ),
  emulator: Options.boolean("emulator").pipe(
    Options.withDescription(
      "Use an embedded local emulator instead of a real vault; its state is kept in the --emulator-data file."
    )
  ),
  emulatorData: Options.text("emulator-data").pipe(
    Options.withPseudoName("FILE"),
    Options.withDescription(
      "State file of the embedded emulator (default: $EFFECT_KEYVAULT_EMULATOR_DATA or ~/.effect-keyvault/emulator.json)."
    ),
    Options.withFallbackConfig(Config.string("EFFECT_KEYVAULT_EMULATOR_DATA")),
    Options.optional
  ),
  token: Options.redacted("token").pipe(
    Options.withPseudoName("TOKEN"),
    Options.withDescription(
      "Bearer token to send instead of DefaultAzureCredential (default: $EFFECT_KEYVAULT_TOKEN; prefer the variable, argv is visible to other users)."
    ),
    Options.withFallbackConfig(Config.redacted("EFFECT_KEYVAULT_TOKEN")),
    Options.optional
  )
})

// What a loopback emulator accepts when it was started without --token.
const loopbackToken = "effect-keyvault-cli"

/** @internal */
export const isLoopback = (hostname: string): boolean => {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase()
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host)
}

// A person is waiting: poll soon (most deletes finish within a second), then every 2 s, for up to 5 minutes.
const polling = PollingPolicy.layer(
  Schedule.exponential("200 millis", 1.5).pipe(
    Schedule.union(Schedule.spaced("2 seconds")),
    Schedule.upTo("5 minutes")
  )
)

/** @internal */
export const defaultEmulatorData = (): string => path.join(os.homedir(), ".effect-keyvault", "emulator.json")

const emulatorLayer = (dataFile: string) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    // Loaded only for --emulator so that a production install may leave the emulator out.
    const Emulator = yield* Effect.tryPromise({
      try: () => import("@effect-keyvault/emulator/Emulator"),
      catch: () =>
        new UsageError({ message: "--emulator needs the @effect-keyvault/emulator package; install it next to the CLI" })
    })
    const fs = yield* Effect.promise(() => import("node:fs"))
    yield* Effect.try({
      try: () => fs.mkdirSync(path.dirname(dataFile), { recursive: true, mode: 0o700 }),
      catch: (e) => new UsageError({ message: `cannot create the emulator data directory: ${(e as Error).message}` })
    })
    return SecretClient.layer({ vaultUrl: "https://emulator.vault.azure.net" }).pipe(
      Layer.provide(Credential.layerStatic(loopbackToken)),
      Layer.provide(polling),
      Layer.provide(Emulator.layerInProcess({ dataFile }))
    )
  }))

/** The SecretClient for the chosen vault. @internal */
export const layer = (
  options: VaultOptions
): Layer.Layer<SecretClient.SecretClient, UsageError | Credential.TokenError | SecretError.InvalidArgument> => {
  // An empty AZURE_KEYVAULT_URL= counts as unset.
  const vault = { ...options, vaultUrl: Option.filter(options.vaultUrl, (url) => url.trim() !== "") }
  if (vault.emulator) {
    if (Option.isSome(vault.vaultUrl)) {
      return Layer.fail(new UsageError({ message: "--emulator and --vault-url (or AZURE_KEYVAULT_URL) exclude each other" }))
    }
    return emulatorLayer(Option.getOrElse(vault.emulatorData, defaultEmulatorData))
  }
  if (Option.isNone(vault.vaultUrl)) {
    return Layer.fail(new UsageError({ message: "no vault: pass --vault-url, set AZURE_KEYVAULT_URL, or use --emulator" }))
  }
  let url: URL
  try {
    url = new URL(vault.vaultUrl.value)
  } catch {
    return Layer.fail(new UsageError({ message: `invalid vault URL '${vault.vaultUrl.value}'` }))
  }
  const loopback = isLoopback(url.hostname)
  if (url.protocol === "http:" && !loopback) {
    return Layer.fail(
      new UsageError({ message: `http:// vault URLs are accepted for loopback hosts only, not ${url.hostname}` })
    )
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Layer.fail(new UsageError({ message: `unsupported vault URL scheme '${url.protocol}'; expected https:` }))
  }
  const credential = Option.isSome(vault.token)
    ? Credential.layerStatic(vault.token.value)
    : loopback
    ? Credential.layerStatic(loopbackToken)
    : Credential.layerDefaultAzure()
  return SecretClient.layer({
    vaultUrl: url.href,
    allowInsecureLoopback: loopback,
    // A local emulator names the real service (vault.azure.net) as the resource, never 127.0.0.1.
    verifyChallengeResource: !loopback,
    userAgentPrefix: "effect-keyvault-cli"
  }).pipe(
    Layer.provide(credential),
    Layer.provide(polling),
    // Key Vault never redirects; a redirect is an error, not something to follow with a bearer token.
    // node:http: the cheapest client to start (global fetch costs ~60 ms more CPU to load per run), and it
    // never follows redirects, so a bearer token is never re-sent elsewhere. A keep-alive agent: the
    // authorized request (and every later one: export, import, run) reuses the challenge's connection
    // instead of paying a TCP + TLS handshake each; the agent is destroyed with the layer.
    Layer.provide(NodeHttpClient.layerWithoutAgent),
    Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
  )
}
