/**
 * The vault every example talks to.
 *
 * - `AZURE_KEYVAULT_URL` set: that vault, with `DefaultAzureCredential` (from `@azure/identity`) and
 *   Node's undici-based HttpClient.
 * - otherwise: an embedded emulator started for the duration of the program, over HTTPS with a
 *   self-signed certificate that only this client trusts (no process-wide TLS switch).
 */
import { Emulator } from "@effect-keyvault/emulator"
import { Credential, SecretClient } from "@effect-keyvault/secrets"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Config, Console, Effect, Layer, Option } from "effect"

/** A real vault: URL from Effect Config, credential from the environment, undici transport. */
export const RealVault = (vaultUrl: string) =>
  SecretClient.layer({ vaultUrl }).pipe(
    Layer.provide(Credential.layerDefaultAzure()),
    Layer.provide(NodeHttpClient.layerUndici)
  )

/** The embedded emulator on a free loopback port, torn down when the program's scope closes. */
export const EmbeddedVault = Layer.unwrapScoped(Effect.gen(function*() {
  const emulator = yield* Emulator.start({ tls: true })
  yield* Console.log(`(embedded emulator at ${emulator.url}; set AZURE_KEYVAULT_URL to use a real vault)`)
  return SecretClient.layer({
    vaultUrl: emulator.url,
    // The emulator's address is not a *.vault.azure.net host, so the challenge resource cannot match it.
    verifyChallengeResource: false
  }).pipe(
    Layer.provide(Credential.layerStatic("emulator-token")),
    Layer.provide(NodeHttpClient.layerWithoutAgent),
    Layer.provide(NodeHttpClient.makeAgentLayer({ ca: emulator.certificatePem }))
  )
}))

/** Real vault when `AZURE_KEYVAULT_URL` is set, embedded emulator otherwise. */
export const VaultLive: Layer.Layer<SecretClient.SecretClient, unknown> = Layer.unwrapEffect(
  Effect.map(
    Config.option(Config.string("AZURE_KEYVAULT_URL")),
    Option.match({
      onNone: (): Layer.Layer<SecretClient.SecretClient, unknown> => EmbeddedVault,
      onSome: RealVault
    })
  )
)

/** A name no earlier run used, so examples can run against a real vault repeatedly. */
export const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`
