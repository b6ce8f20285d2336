/**
 * OUR client driven through the scenarios of the real recordings, against a replay server that
 * serves the recorded responses in order (test/support/replayServer.ts). Each request our client
 * makes must match the recorded one (method, path, query, token presence, body — the first request
 * of a client is the token-less, body-less challenge probe), and each recorded response must decode
 * into the right model or typed error.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Credential, PollingPolicy, RetryPolicy, SecretClient, SecretError } from "@effect-keyvault/secrets"
import { Chunk, DateTime, Effect, Layer, Redacted, Stream } from "effect"
import { loadRecording } from "./support/recording.js"
import { startReplayServer } from "./support/replayServer.js"

type ApiVersion = "7.3" | "7.4"

/**
 * Runs `scenario` with a client pointed at a replay of `file`. The recordings' 7.4-preview.1 is not an
 * api-version our client offers, so those replays run with "7.4" and the recorded query is compared
 * with that one substitution (the only difference between the two on the wire).
 */
const withReplay = <A, E>(
  flavour: "js" | "cpp",
  file: string,
  scenario: Effect.Effect<A, E, SecretClient.SecretClient>
) =>
  Effect.gen(function*() {
    const raw = loadRecording(flavour, file)
    const recordedVersion = new URLSearchParams(raw.entries[0]!.url.search).get("api-version")!
    const apiVersion: ApiVersion = recordedVersion === "7.3" ? "7.3" : "7.4"
    const recording = {
      ...raw,
      entries: raw.entries.map((e) => ({
        ...e,
        url: new URL(e.url.href.replace(`api-version=${recordedVersion}`, `api-version=${apiVersion}`))
      }))
    }
    const server = yield* Effect.acquireRelease(Effect.promise(() => startReplayServer(recording, { synthesizeChallenge: flavour === "cpp" })), (s) => Effect.promise(() => s.close()))
    const layer = SecretClient.layer({
      vaultUrl: server.url,
      apiVersion,
      allowInsecureLoopback: true,
      // The recorded challenge names https://vault.azure.net, which is not 127.0.0.1.
      verifyChallengeResource: false
    }).pipe(
      Layer.provide(Credential.layerStatic("replay-token")),
      Layer.provide(FetchHttpClient.layer),
      Layer.provide(PollingPolicy.layer(PollingPolicy.make({ interval: "5 millis", maxWait: "10 seconds" }))),
      // No retries: every request must correspond to exactly one recorded entry.
      Layer.provide(RetryPolicy.layer(RetryPolicy.none))
    )
    const result = yield* Effect.either(Effect.provide(scenario, layer))
    return { result, server, recording }
  })

const expectReplayed = (server: { mismatches: ReadonlyArray<string>; received: ReadonlyArray<string>; remaining: () => number }) => {
  expect(server.mismatches, `requests:\n${server.received.join("\n")}`).toEqual([])
  expect(server.remaining(), `unconsumed recorded entries; requests:\n${server.received.join("\n")}`).toBe(0)
}

describe("our SecretClient against replayed JS recordings", () => {
  it.scopedLive("recording_can_add_a_secret.json", () =>
    Effect.gen(function*() {
      const { result, server } = yield* withReplay("js", "recording_can_add_a_secret.json",
        Effect.flatMap(SecretClient.SecretClient, (c) => c.setSecret("CRUDSecretName-canaddasecret-", "SECRET_VALUE")))
      expectReplayed(server)
      expect(result._tag).toBe("Right")
      if (result._tag !== "Right") return
      const secret = result.right
      expect(secret.name).toBe("CRUDSecretName-canaddasecret-")
      expect(Redacted.value(secret.value)).toBe("SECRET_VALUE")
      expect(secret.properties.version).toBe("71992af12bfd48d9b4025e84c998616e")
      expect(secret.properties.vaultUrl).toBe(server.url)
      expect(secret.properties.recoveryLevel).toBe("CustomizedRecoverable+Purgeable")
      expect(secret.properties.recoverableDays).toBe(7)
      expect(secret.properties.tags).toEqual({})
      expect(DateTime.toEpochMillis(secret.properties.createdOn!)).toBe(1665617800 * 1000)
    }))

  it.scopedLive("recording_can_get_a_secret_non_existing.json", () =>
    Effect.gen(function*() {
      const { result, server } = yield* withReplay("js", "recording_can_get_a_secret_non_existing.json",
        Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("CRUDSecretName-cangetasecretNonExisting-")))
      expectReplayed(server)
      expect(result._tag).toBe("Left")
      if (result._tag !== "Left") return
      expect(result.left).toBeInstanceOf(SecretError.NotFound)
      expect(result.left).toMatchObject({ status: 404, code: "SecretNotFound", name: "CRUDSecretName-cangetasecretNonExisting-" })
    }))

  it.scopedLive("recording_cant_get_a_disabled_secret.json", () =>
    Effect.gen(function*() {
      const name = "CRUDSecretName-cantgetadisabledsecret-"
      const { result, server } = yield* withReplay("js", "recording_cant_get_a_disabled_secret.json",
        Effect.gen(function*() {
          const c = yield* SecretClient.SecretClient
          const set = yield* c.setSecret(name, "SECRET_VALUE", { enabled: false })
          expect(set.properties.enabled).toBe(false)
          return yield* c.getSecret(name)
        }))
      expectReplayed(server)
      expect(result._tag).toBe("Left")
      if (result._tag !== "Left") return
      expect(result.left).toBeInstanceOf(SecretError.Forbidden)
      expect(result.left).toMatchObject({ status: 403, code: "Forbidden", innerCode: "SecretDisabled" })
      expect((result.left as SecretError.Forbidden).disabled).toBe(true)
    }))

  it.scopedLive("recording_can_update_a_secret.json", () =>
    Effect.gen(function*() {
      const name = "CRUDSecretName-canupdateasecret-"
      const { result, server } = yield* withReplay("js", "recording_can_update_a_secret.json",
        Effect.gen(function*() {
          const c = yield* SecretClient.SecretClient
          yield* c.setSecret(name, "SECRET_VALUE")
          // 32503680000 s = 3000-01-01: past 2038, the date the official SDK 4.12 truncates.
          const updated = yield* c.updateSecretProperties(name, { expiresOn: new Date(32503680000 * 1000) })
          const got = yield* c.getSecret(name)
          return { updated, got }
        }))
      expectReplayed(server)
      expect(result._tag).toBe("Right")
      if (result._tag !== "Right") return
      expect(DateTime.toEpochMillis(result.right.updated.expiresOn!)).toBe(32503680000 * 1000)
      expect(result.right.updated.version).toBe("c018c7f439f14e509a47bdfdc88dbc5e")
      expect(Redacted.value(result.right.got.value)).toBe("SECRET_VALUE")
      expect(DateTime.toEpochMillis(result.right.got.properties.expiresOn!)).toBe(32503680000 * 1000)
    }))

  it.scopedLive("recording_cannot_create_a_secret_with_an_empty_name.json (our client refuses before sending)", () =>
    Effect.gen(function*() {
      const { result, server } = yield* withReplay("js", "recording_cannot_create_a_secret_with_an_empty_name.json",
        Effect.flatMap(SecretClient.SecretClient, (c) => c.setSecret("", "SECRET_VALUE")))
      // The service answers PUT /secrets/ with 405; our client validates the name locally and sends nothing.
      expect(server.received).toEqual([])
      expect(result._tag).toBe("Left")
      if (result._tag !== "Left") return
      expect(result.left).toBeInstanceOf(SecretError.InvalidArgument)
      expect(result.left).toMatchObject({ argument: "name" })
    }))

  it.scopedLive("recording_can_restore_a_secret_malformed_backup_bytes.json", () =>
    Effect.gen(function*() {
      // The recorded body is 6304 × 'A' = base64url of 4728 zero bytes.
      const { result, server } = yield* withReplay("js", "recording_can_restore_a_secret_malformed_backup_bytes.json",
        Effect.flatMap(SecretClient.SecretClient, (c) => c.restoreSecretBackup(new Uint8Array(4728))))
      expectReplayed(server)
      expect(result._tag).toBe("Left")
      if (result._tag !== "Left") return
      expect(result.left).toBeInstanceOf(SecretError.HttpError)
      expect(result.left).toMatchObject({ status: 400, code: "Malformed backup blob" })
      expect(result.left.message).toContain("Backup blob contains invalid or corrupt version.")
    }))

  it.scopedLive("recording_can_restore_a_secret.json (backup, delete+poll 404→200, purge, restore 409→200, cleanup)", () =>
    Effect.gen(function*() {
      const name = "backupRestoreSecretName-canrestoreasecret-"
      const { result, server } = yield* withReplay("js", "recording_can_restore_a_secret.json",
        Effect.gen(function*() {
          const c = yield* SecretClient.SecretClient
          yield* c.setSecret(name, "RSA")
          const backup = yield* c.backupSecret(name)
          const deleted = yield* c.deleteSecret(name)
          yield* c.purgeDeletedSecret(name)
          const conflict = yield* Effect.flip(c.restoreSecretBackup(backup))
          const restored = yield* c.restoreSecretBackup(backup)
          yield* c.deleteSecret(name)
          yield* c.purgeDeletedSecret(name)
          return { backup, deleted, conflict, restored }
        }))
      expectReplayed(server)
      expect(result._tag).toBe("Right")
      if (result._tag !== "Right") return
      const { backup, conflict, deleted, restored } = result.right
      expect(backup.length).toBeGreaterThan(1000)
      expect(deleted.recoveryId).toBe(`${server.url}/deletedsecrets/${name}`)
      expect(deleted.value).toBeUndefined()
      expect(DateTime.toEpochMillis(deleted.scheduledPurgeDate!) - DateTime.toEpochMillis(deleted.deletedOn!)).toBe(7 * 86400 * 1000)
      expect(conflict).toBeInstanceOf(SecretError.Exists)
      expect(conflict).toMatchObject({ status: 409, reason: "RestoreConflict" })
      expect(restored.name).toBe(name)
      expect(restored.version).toBe("b2842903c8d8448ba4be9e9901e8f51e")
    }))
})

describe("our SecretClient against replayed C++ recordings (path, query, token; the C++ format stores no request bodies)", () => {
  it.scopedLive("KeyVaultSecretClientTest.TestGetPropertiesOfSecret.json (50 sets, 7-page listing via real $skiptoken nextLinks)", () =>
    Effect.gen(function*() {
      const { result, server } = yield* withReplay("cpp", "KeyVaultSecretClientTest.TestGetPropertiesOfSecret.json",
        Effect.gen(function*() {
          const c = yield* SecretClient.SecretClient
          for (let i = 0; i < 50; i++) yield* c.setSecret(`TestGetPropertiesOfSecret${i}`, "secretValue")
          const pages = yield* Stream.runCollect(c.listPropertiesOfSecretsPages())
          return Chunk.toReadonlyArray(pages)
        }))
      expectReplayed(server)
      expect(result._tag).toBe("Right")
      if (result._tag !== "Right") return
      const pages = result.right
      expect(pages.map((p) => p.items.length)).toEqual([24, 25, 25, 25, 23, 25, 21])
      expect(pages.slice(0, -1).every((p) => p.continuationToken !== undefined)).toBe(true)
      expect(pages.at(-1)!.continuationToken).toBeUndefined()
      const items = pages.flatMap((p) => p.items)
      for (let i = 0; i < 50; i++) expect(items.map((p) => p.name)).toContain(`TestGetPropertiesOfSecret${i}`)
      // The certificate-backed item decodes too.
      expect(items.some((p) => p.managed === true && p.contentType === "application/x-pkcs12")).toBe(true)
    }))

  it.scopedLive("KeyVaultSecretClientTest.Recover.json (set, delete+poll 404→200, get deleted; up to the recover step)", () =>
    Effect.gen(function*() {
      const { result, server } = yield* withReplay("cpp", "KeyVaultSecretClientTest.Recover.json",
        Effect.gen(function*() {
          const c = yield* SecretClient.SecretClient
          yield* c.setSecret("Recover", "secretValue")
          const deleted = yield* c.deleteSecret("Recover")
          const fetched = yield* c.getDeletedSecret("Recover")
          return { deleted, fetched }
        }))
      // The scenario stops before the recover: the C++ SDK POSTs /recover straight away, while our
      // client (like the official JS SDK's recover poller) first GETs /secrets/{name}/ to see whether
      // the secret is already live, so the recorded sequence cannot match from there on.
      expect(server.mismatches, `requests:\n${server.received.join("\n")}`).toEqual([])
      expect(server.received.filter((r) => r.startsWith("GET /deletedsecrets/Recover"))).toHaveLength(3)
      expect(result._tag).toBe("Right")
      if (result._tag !== "Right") return
      expect(result.right.deleted.recoveryId).toBe(`${server.url}/deletedsecrets/Recover`)
      expect(result.right.deleted.name).toBe("Recover")
      expect(DateTime.toEpochMillis(result.right.fetched.scheduledPurgeDate!) - DateTime.toEpochMillis(result.right.fetched.deletedOn!)).toBe(
        90 * 86400 * 1000
      )
    }))
})
