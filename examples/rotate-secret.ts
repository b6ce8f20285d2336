/**
 * A composed workflow: rotate a secret (new version, disable the old ones, list versions).
 *
 *   pnpm tsx examples/rotate-secret.ts
 */
import { SecretClient } from "@effect-keyvault/secrets"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Redacted } from "effect"
import { rotate } from "./services/Rotation.js"
import { uniqueName, VaultLive } from "./support/Vault.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const name = uniqueName("rotate")
  yield* client.setSecret(name, Redacted.make("password-1"))
  yield* client.setSecret(name, Redacted.make("password-2"))

  const result = yield* rotate(name, Redacted.make(`password-${crypto.randomUUID()}`))
  yield* Console.log(`current version ${result.current.properties.version}`)
  yield* Console.log(`disabled ${result.disabled.length} older version(s)`)
  for (const v of result.versions) yield* Console.log(`  ${v.version} enabled=${v.enabled}`)

  yield* client.deleteSecret(name)
  yield* client.purgeDeletedSecret(name)
})

program.pipe(Effect.provide(VaultLive), NodeRuntime.runMain)
