/**
 * Quickstart: every SecretClient operation, step by step.
 *
 *   pnpm demo                                   # embedded emulator
 *   AZURE_KEYVAULT_URL=https://<vault>.vault.azure.net pnpm demo   # a real vault (DefaultAzureCredential)
 */
import { KeyVaultSecretIdentifier, SecretClient } from "@effect-keyvault/secrets"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Chunk, Console, DateTime, Effect, Redacted, Schedule, Stream } from "effect"
import { uniqueName, VaultLive } from "./support/Vault.js"

const step = (title: string) => Console.log(`\n== ${title}`)

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const name = uniqueName("quickstart")
  yield* Console.log(`vault ${client.vaultUrl}, api-version ${client.apiVersion}, secret '${name}'`)

  yield* step("setSecret: first version (the value is Redacted from here on)")
  const v1 = yield* client.setSecret(name, Redacted.make("first value"), {
    contentType: "text/plain",
    tags: { app: "quickstart" },
    expiresOn: DateTime.unsafeMake("2050-02-02T00:00:00Z")
  })
  yield* Console.log(`created version ${v1.properties.version}, value prints as ${String(v1.value)}`)

  yield* step("setSecret: second version")
  const v2 = yield* client.setSecret(name, "second value")
  yield* Console.log(`created version ${v2.properties.version}`)

  yield* step("getSecret: latest, then a specific version")
  const latest = yield* client.getSecret(name)
  const first = yield* client.getSecret(name, { version: v1.properties.version })
  yield* Console.log(`latest is ${latest.properties.version} (${Redacted.value(latest.value).length} chars)`)
  yield* Console.log(`version 1 expires ${first.properties.expiresOn ? DateTime.formatIso(first.properties.expiresOn) : "never"}`)

  yield* step("KeyVaultSecretIdentifier.parse")
  const id = yield* KeyVaultSecretIdentifier.parse(latest.properties.id)
  yield* Console.log(`vaultUrl=${id.vaultUrl} name=${id.name} version=${id.version}`)

  yield* step("updateSecretProperties: disable version 1, tag the latest")
  yield* client.updateSecretProperties(name, { version: v1.properties.version, enabled: false })
  const updated = yield* client.updateSecretProperties(name, { tags: { app: "quickstart", stage: "updated" } })
  yield* Console.log(`latest tags: ${JSON.stringify(updated.tags)}`)

  yield* step("listPropertiesOfSecretVersions")
  yield* client.listPropertiesOfSecretVersions(name).pipe(
    Stream.runForEach((p) => Console.log(`  ${p.version} enabled=${p.enabled}`))
  )

  yield* step("listPropertiesOfSecrets (first 5)")
  yield* client.listPropertiesOfSecrets().pipe(
    Stream.take(5),
    Stream.runForEach((p) => Console.log(`  ${p.name}`))
  )

  yield* step("backupSecret")
  const backup = yield* client.backupSecret(name)
  yield* Console.log(`backup blob: ${backup.byteLength} bytes`)

  yield* step("deleteSecret (waits until the service has finished)")
  const deleted = yield* client.deleteSecret(name)
  yield* Console.log(`deleted; recoveryId ${deleted.recoveryId}, purge scheduled ${deleted.scheduledPurgeDate ? DateTime.formatIso(deleted.scheduledPurgeDate) : "-"}`)

  yield* step("getDeletedSecret / listDeletedSecrets")
  const gone = yield* client.getDeletedSecret(name)
  const deletedNames = yield* client.listDeletedSecrets().pipe(Stream.map((d) => d.properties.name), Stream.runCollect)
  yield* Console.log(`deleted on ${gone.deletedOn ? DateTime.formatIso(gone.deletedOn) : "-"}; in deleted list: ${Chunk.some(deletedNames, (n) => n === name)}`)

  yield* step("recoverDeletedSecret (waits until readable again)")
  const recovered = yield* client.recoverDeletedSecret(name)
  yield* Console.log(`recovered ${recovered.name}`)

  yield* step("delete + purgeDeletedSecret")
  yield* client.deleteSecret(name)
  yield* client.purgeDeletedSecret(name)
  yield* Console.log("purged")

  yield* step("restoreSecretBackup (retried while the purge finishes)")
  const restored = yield* client.restoreSecretBackup(backup).pipe(
    Effect.retry({ while: (e) => e._tag === "Exists", times: 30, schedule: Schedule.spaced("2 seconds") })
  )
  yield* Console.log(`restored ${restored.name}, version ${restored.version}`)

  yield* step("sendRequest: the raw escape hatch (same auth, retry and api-version)")
  const response = yield* client.sendRequest(HttpClientRequest.get(`/secrets/${name}/versions`))
  yield* Console.log(`GET /secrets/${name}/versions -> ${response.status}`)

  yield* step("clean up")
  yield* client.deleteSecret(name)
  yield* client.purgeDeletedSecret(name)
  yield* Console.log("done")
})

program.pipe(Effect.provide(VaultLive), NodeRuntime.runMain)
