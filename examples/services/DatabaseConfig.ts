/**
 * A sample service: the database settings of an application. The password comes from Key Vault; when
 * the secret does not exist (a developer machine, a fresh environment) it falls back to a default,
 * but any other failure (forbidden, throttled, network) is still an error the caller sees.
 */
import { SecretClient } from "@effect-keyvault/secrets"
import { Context, Effect, Layer, Redacted } from "effect"

export interface DatabaseSettings {
  readonly password: Redacted.Redacted<string>
  readonly source: "key-vault" | "default"
}

export class DatabaseConfig extends Context.Tag("examples/DatabaseConfig")<DatabaseConfig, {
  readonly load: Effect.Effect<DatabaseSettings, Exclude<SecretClient.ServiceErrors, { _tag: "NotFound" }>>
}>() {}

export const SECRET_NAME = "db-password"
export const DEFAULT_PASSWORD = Redacted.make("local-dev-password")

export const DatabaseConfigLive = Layer.effect(
  DatabaseConfig,
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    return {
      load: client.getSecret(SECRET_NAME).pipe(
        Effect.map((secret): DatabaseSettings => ({ password: secret.value, source: "key-vault" })),
        Effect.catchTag("NotFound", () => Effect.succeed<DatabaseSettings>({ password: DEFAULT_PASSWORD, source: "default" }))
      )
    }
  })
)
