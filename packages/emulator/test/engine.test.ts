import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { VaultEngine } from "@effect-keyvault/emulator"

describe("VaultEngine", () => {
  it.effect("consistency delays follow the Clock (TestClock)", () =>
    Effect.gen(function*() {
      const engine = yield* VaultEngine.make({
        consistencyDelay: { delete: "5 seconds", recover: "3 seconds", purge: "2 seconds" }
      })
      yield* engine.setSecret("slow", { value: "v" })
      yield* engine.deleteSecret("slow")
      expect((yield* Effect.flip(engine.getDeletedSecret("slow"))).status).toBe(404)
      yield* TestClock.adjust("5 seconds")
      expect((yield* engine.getDeletedSecret("slow")).name).toBe("slow")
      yield* engine.recoverDeletedSecret("slow")
      expect((yield* Effect.flip(engine.getSecret("slow"))).code).toBe("SecretNotFound")
      yield* TestClock.adjust("3 seconds")
      expect((yield* engine.getSecret("slow")).value).toBe("v")
      const blob = yield* engine.backupSecret("slow")
      yield* engine.deleteSecret("slow")
      yield* TestClock.adjust("5 seconds")
      yield* engine.purgeDeletedSecret("slow")
      const conflict = yield* Effect.flip(engine.restoreSecret(blob))
      expect([conflict.status, conflict.code]).toEqual([409, "Conflict"])
      yield* TestClock.adjust("2 seconds")
      expect((yield* engine.restoreSecret(blob)).value).toBe("v")
    }))

  it.effect("timestamps are integer seconds from the Clock; scheduledPurgeDate = deletedDate + days", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_500)
      const engine = yield* VaultEngine.make({ recoveryLevel: "CustomizedRecoverable+Purgeable", recoverableDays: 7 })
      const set = yield* engine.setSecret("t", { value: "v" })
      expect(set.attributes).toMatchObject({
        created: 1_700_000_000,
        updated: 1_700_000_000,
        recoveryLevel: "CustomizedRecoverable+Purgeable",
        recoverableDays: 7
      })
      yield* TestClock.adjust("10 seconds")
      const deleted = yield* engine.deleteSecret("t")
      expect(deleted.deletedDate).toBe(1_700_000_010)
      expect(deleted.scheduledPurgeDate).toBe(1_700_000_010 + 7 * 86400)
      // past the scheduled purge date the service purges it by itself
      yield* TestClock.adjust("7 days")
      expect((yield* engine.listDeletedSecrets).length).toBe(0)
      expect((yield* engine.setSecret("t", { value: "again" })).value).toBe("again")
    }))

  it.effect("snapshot/restoreSnapshot round-trips state, including deleted secrets", () =>
    Effect.gen(function*() {
      const a = yield* VaultEngine.make()
      yield* a.seed([{ name: "one", value: "1" }, { name: "two", value: "2", contentType: "text/plain" }])
      yield* a.deleteSecret("two")
      const blob = yield* a.backupSecret("one")
      const b = yield* VaultEngine.make()
      yield* b.restoreSnapshot(yield* a.snapshot)
      expect((yield* b.getSecret("ONE")).value).toBe("1")
      expect((yield* b.getDeletedSecret("two")).contentType).toBe("text/plain")
      const other = yield* VaultEngine.make()
      // a blob sealed by another vault's key is "malformed" here
      expect((yield* Effect.flip(other.restoreSecret(blob))).code).toBe("Malformed backup blob")
    }))

  it.effect("seed is all or nothing: a bad entry leaves the vault unchanged", () =>
    Effect.gen(function*() {
      const engine = yield* VaultEngine.make()
      yield* engine.seed([{ name: "kept", value: "1" }])
      const error = yield* Effect.flip(engine.seed([{ name: "new-one", value: "2" }, { name: "bad name!", value: "3" }]))
      expect(error.code).toBe("BadParameter")
      expect((yield* engine.listSecrets).map((s) => s.name)).toEqual(["kept"])
      expect((yield* engine.listSecretVersions("kept")).length).toBe(1)
    }))
})
