/**
 * Interop through the emulator: what our client writes the official `@azure/keyvault-secrets` SDK reads
 * back identically, and the reverse — values, tags, content types, dates, enabled flags, and backup
 * blobs restored by the other client.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Credential, PollingPolicy, SecretClient } from "@effect-keyvault/secrets"
import { DateTime, Effect, Layer, Redacted } from "effect"
import * as Emu from "./support/emulator.js"
import { makeClient, uniqueName } from "./support/officialSdk.js"

/** An emulator plus both clients pointed at it. */
const setup = Effect.gen(function*() {
  const emulator = yield* Emu.start({ tls: true })
  // Both clients trust the emulator's generated certificate explicitly (ours through a node https agent).
  const ours = yield* SecretClient.make({ vaultUrl: emulator.url, verifyChallengeResource: false }).pipe(
    Effect.provide(
      Layer.mergeAll(
        Credential.layerStatic(Emu.TOKEN),
        NodeHttpClient.layerWithoutAgent.pipe(Layer.provide(NodeHttpClient.makeAgentLayer({ ca: emulator.certificatePem }))),
        PollingPolicy.layer(PollingPolicy.make({ interval: "20 millis", maxWait: "10 seconds" }))
      )
    )
  )
  const official = makeClient(emulator, Emu.TOKEN).client
  return { emulator, ours, official }
})

describe("interop: our client ↔ official SDK", () => {
  it.scopedLive("written by ours, read by the official SDK (value, tags, contentType, dates, enabled)", () =>
    Effect.gen(function*() {
      const { official, ours } = yield* setup
      const name = uniqueName("ours-to-official")
      const notBefore = new Date("2024-01-02T03:04:05Z")
      // After 2038: our client writes it correctly (the official 4.12 writer would truncate it).
      const expiresOn = new Date("2100-06-07T08:09:10Z")
      const written = yield* ours.setSecret(name, Redacted.make("from-ours"), {
        contentType: "text/plain",
        tags: { team: "a", env: "test" },
        notBefore,
        expiresOn
      })
      const read = yield* Effect.promise(() => official.getSecret(name))
      expect(read.value).toBe("from-ours")
      expect(read.properties.id).toBe(written.properties.id)
      expect(read.properties.version).toBe(written.properties.version)
      expect(read.properties.contentType).toBe("text/plain")
      expect(read.properties.tags).toEqual({ team: "a", env: "test" })
      expect(read.properties.notBefore?.getTime()).toBe(notBefore.getTime())
      expect(read.properties.expiresOn?.getTime()).toBe(expiresOn.getTime())
      expect(read.properties.createdOn?.getTime()).toBe(DateTime.toEpochMillis(written.properties.createdOn!))

      yield* ours.updateSecretProperties(name, { enabled: false, tags: { team: "b" } })
      const props = (yield* Effect.promise(() => collect(official.listPropertiesOfSecrets()))).find((p) => p.name === name)!
      expect(props.enabled).toBe(false)
      expect(props.tags).toEqual({ team: "b" })
    }))

  it.scopedLive("written by the official SDK, read by ours", () =>
    Effect.gen(function*() {
      const { official, ours } = yield* setup
      const name = uniqueName("official-to-ours")
      const notBefore = new Date("2025-05-06T07:08:09Z")
      const expiresOn = new Date("2030-01-01T00:00:00Z")
      const written = yield* Effect.promise(() =>
        official.setSecret(name, "from-official", { contentType: "application/json", tags: { k: "v" }, notBefore, expiresOn })
      )
      const read = yield* ours.getSecret(name)
      expect(Redacted.value(read.value)).toBe("from-official")
      expect(read.properties.id).toBe(written.properties.id)
      expect(read.properties.contentType).toBe("application/json")
      expect(read.properties.tags).toEqual({ k: "v" })
      expect(DateTime.toEpochMillis(read.properties.notBefore!)).toBe(notBefore.getTime())
      expect(DateTime.toEpochMillis(read.properties.expiresOn!)).toBe(expiresOn.getTime())

      const second = yield* Effect.promise(() => official.setSecret(name, "second"))
      const first = yield* ours.getSecret(name, { version: written.properties.version! })
      expect(Redacted.value(first.value)).toBe("from-official")
      expect(Redacted.value((yield* ours.getSecret(name)).value)).toBe("second")
      expect(second.properties.version).not.toBe(written.properties.version)
    }))

  it.scopedLive("backup by ours → purge → restore by the official SDK, and the reverse", () =>
    Effect.gen(function*() {
      const { official, ours } = yield* setup
      const a = uniqueName("backup-ours")
      yield* ours.setSecret(a, "alpha", { tags: { via: "ours" } })
      const blobA = yield* ours.backupSecret(a)
      yield* ours.deleteSecret(a)
      yield* ours.purgeDeletedSecret(a)
      const restoredA = yield* Effect.promise(() => official.restoreSecretBackup(blobA))
      expect(restoredA.name).toBe(a)
      expect(restoredA.tags).toEqual({ via: "ours" })
      expect((yield* Effect.promise(() => official.getSecret(a))).value).toBe("alpha")

      const b = uniqueName("backup-official")
      yield* Effect.promise(() => official.setSecret(b, "beta", { tags: { via: "official" } }))
      const blobB = (yield* Effect.promise(() => official.backupSecret(b)))!
      yield* Effect.promise(async () => {
        await (await official.beginDeleteSecret(b, { intervalInMs: 20 })).pollUntilDone()
        await official.purgeDeletedSecret(b)
      })
      const restoredB = yield* ours.restoreSecretBackup(blobB)
      expect(restoredB.name).toBe(b)
      expect(restoredB.tags).toEqual({ via: "official" })
      expect(Redacted.value((yield* ours.getSecret(b)).value)).toBe("beta")
    }))
})

const collect = async <A>(iterable: AsyncIterable<A>): Promise<Array<A>> => {
  const out: Array<A> = []
  for await (const a of iterable) out.push(a)
  return out
}
