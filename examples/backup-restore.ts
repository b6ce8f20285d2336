/**
 * Backup and restore: the blob carries every version; restore brings them all back with their ids.
 *
 *   pnpm tsx examples/backup-restore.ts
 */
import { SecretClient } from "@effect-keyvault/secrets"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Schedule, Stream } from "effect"
import { uniqueName, VaultLive } from "./support/Vault.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const name = uniqueName("backup")
  yield* client.setSecret(name, "v1")
  yield* client.setSecret(name, "v2", { tags: { kept: "yes" } })
  const before = yield* client.listPropertiesOfSecretVersions(name).pipe(Stream.map((p) => p.version!), Stream.runCollect)

  const blob = yield* client.backupSecret(name)
  yield* Console.log(`backed up ${name}: ${blob.byteLength} bytes, ${before.length} versions`)

  yield* client.deleteSecret(name)
  yield* client.purgeDeletedSecret(name)
  yield* Console.log("deleted and purged")

  // The real service finishes a purge asynchronously; restore answers 409 (Exists) until it has.
  const restored = yield* client.restoreSecretBackup(blob).pipe(
    Effect.retry({ while: (e) => e._tag === "Exists", schedule: Schedule.spaced("2 seconds"), times: 30 })
  )
  const after = yield* client.listPropertiesOfSecretVersions(name).pipe(Stream.map((p) => p.version!), Stream.runCollect)
  yield* Console.log(`restored ${restored.name} with ${after.length} versions; same ids: ${[...before].sort().join() === [...after].sort().join()}`)

  // Garbage is refused with the service's typed error, not a crash.
  const bad = yield* client.restoreSecretBackup(new Uint8Array(64)).pipe(
    Effect.map(() => "unexpectedly restored"),
    Effect.catchAll((e) => Effect.succeed(`${e._tag}: ${e.message}`))
  )
  yield* Console.log(`malformed blob -> ${bad}`)

  yield* client.deleteSecret(name)
  yield* client.purgeDeletedSecret(name)
})

program.pipe(Effect.provide(VaultLive), NodeRuntime.runMain)
