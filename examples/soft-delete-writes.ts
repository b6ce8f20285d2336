/**
 * Soft-delete-aware writes: `upsertSecret` writes a name whatever state it is in (new, existing, soft-deleted,
 * still being deleted or purged), and `deleteAndPurge` frees a name for good. No hand-written recover-then-set.
 *
 *   pnpm tsx examples/soft-delete-writes.ts
 */
import { SecretClient, SecretWrites } from "@effect-keyvault/secrets"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Redacted, Stream } from "effect"
import { uniqueName, VaultLive } from "./support/Vault.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const name = uniqueName("upsert")
  const versions = Stream.runCount(client.listPropertiesOfSecretVersions(name))

  yield* SecretWrites.upsertSecret(name, Redacted.make("first value"))
  yield* client.deleteSecret(name) // the name is now reserved by the soft-deleted secret

  // "fail": the service's typed conflict, nothing changed
  const refused = yield* Effect.flip(SecretWrites.upsertSecret(name, "second value", { onDeleted: "fail" }))
  yield* Console.log(`onDeleted fail -> ${refused._tag}${refused._tag === "Exists" ? ` (${refused.reason})` : ""}`)

  // "recover": the old versions come back, the new value is added on top
  yield* SecretWrites.upsertSecret(name, Redacted.make("second value"), { onDeleted: "recover" })
  yield* Console.log(`onDeleted recover -> ${yield* versions} versions`)

  // "purge": history is destroyed, the name starts again (waits out the purge window)
  yield* client.deleteSecret(name)
  yield* SecretWrites.upsertSecret(name, Redacted.make("third value"), { onDeleted: "purge" })
  yield* Console.log(`onDeleted purge -> ${yield* versions} version`)

  yield* SecretWrites.deleteAndPurge(name)
  const gone = yield* Effect.flip(client.getDeletedSecret(name))
  yield* Console.log(`deleteAndPurge -> getDeletedSecret: ${gone._tag}`)
})

program.pipe(Effect.provide(VaultLive), NodeRuntime.runMain)
