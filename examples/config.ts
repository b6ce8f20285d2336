/**
 * Configuration through Effect Config: the client's options come from a ConfigProvider (environment
 * variables by default), so the same program runs against the emulator, a test map or production.
 *
 *   AZURE_KEYVAULT_URL=https://<vault>.vault.azure.net pnpm tsx examples/config.ts
 *   pnpm tsx examples/config.ts      # no URL: an embedded emulator, its URL supplied via ConfigProvider.fromMap
 */
import { Emulator } from "@effect-keyvault/emulator"
import { Credential, SecretClient } from "@effect-keyvault/secrets"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, ConfigProvider, Console, Effect, Layer, Option } from "effect"
import { uniqueName } from "./support/Vault.js"

// Everything the client needs, read from Config. Names are the environment variable names.
const ClientFromConfig = SecretClient.layerConfig({
  vaultUrl: Config.string("AZURE_KEYVAULT_URL"),
  apiVersion: Config.literal("7.6", "2025-07-01", "2026-04-01")("AZURE_KEYVAULT_API_VERSION").pipe(
    Config.withDefault("2026-04-01" as const)
  ),
  verifyChallengeResource: Config.boolean("AZURE_KEYVAULT_VERIFY_CHALLENGE_RESOURCE").pipe(Config.withDefault(true)),
  timeout: Config.duration("AZURE_KEYVAULT_TIMEOUT").pipe(Config.withDefault("10 seconds"))
})

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  yield* Console.log(`configured: ${client.vaultUrl} (api-version ${client.apiVersion})`)
  const name = uniqueName("config")
  yield* client.setSecret(name, "configured")
  const secret = yield* client.getSecret(name)
  yield* Console.log(`read back ${secret.name}; value prints as ${String(secret.value)}`)
  yield* client.deleteSecret(name)
  yield* client.purgeDeletedSecret(name)
})

const real = ClientFromConfig.pipe(
  Layer.provide(Credential.layerDefaultAzure()),
  Layer.provide(NodeHttpClient.layerUndici)
)

const embedded = Layer.unwrapScoped(Effect.gen(function*() {
  const emulator = yield* Emulator.start({ tls: true })
  yield* Console.log(`(embedded emulator at ${emulator.url})`)
  // In tests, a map stands in for the environment.
  const provider = ConfigProvider.fromMap(new Map([
    ["AZURE_KEYVAULT_URL", emulator.url],
    ["AZURE_KEYVAULT_API_VERSION", "2025-07-01"],
    ["AZURE_KEYVAULT_VERIFY_CHALLENGE_RESOURCE", "false"]
  ]))
  return ClientFromConfig.pipe(
    Layer.provide(Layer.setConfigProvider(provider)),
    Layer.provide(Credential.layerStatic("emulator-token")),
    Layer.provide(NodeHttpClient.layerWithoutAgent),
    Layer.provide(NodeHttpClient.makeAgentLayer({ ca: emulator.certificatePem }))
  )
}))

const VaultFromConfig = Layer.unwrapEffect(Effect.map(
  Config.option(Config.string("AZURE_KEYVAULT_URL")),
  (url): Layer.Layer<SecretClient.SecretClient, unknown> => Option.isSome(url) ? real : embedded
))

program.pipe(Effect.provide(VaultFromConfig), NodeRuntime.runMain)
