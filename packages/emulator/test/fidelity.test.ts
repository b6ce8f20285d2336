// Service fidelity (issue 8 items 9, 14, 16) and listing through the sorted index (issue 11).
import { NodeHttpClient } from "@effect/platform-node"
import { Credential, SecretClient } from "@effect-keyvault/secrets"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Redacted, Scope, Stream, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Emulator, TestVault, VaultEngine } from "@effect-keyvault/emulator"
import { collect } from "./suite.js"
import { q, type Send, viaHandler } from "./utils.js"

const withHandler = async <A>(
  options: Emulator.EmulatorOptions,
  f: (send: Send, engine: VaultEngine.VaultEngine) => Promise<A>
): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const { engine, handler } = await Effect.runPromise(Scope.extend(Emulator.makeHandler(options), scope))
    return await f(viaHandler(handler), engine)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const lastSegment = (id: string) => id.split("/").pop()!

describe("item 14: a vault without soft delete (recoveryLevel Purgeable)", () => {
  it.live("TestVault: deleteSecret completes at once (no polling), the result has no recoveryId, the secret is gone", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      // Without the fix the poller GETs /deletedsecrets/gone (404) until PollingTimeout (minutes).
      const deleted = yield* client.deleteSecret("gone").pipe(Effect.timeout("10 seconds"))
      expect(deleted.name).toBe("gone")
      expect(deleted.recoveryId).toBeUndefined()
      expect(deleted.deletedOn).toBeUndefined()
      expect(deleted.scheduledPurgeDate).toBeUndefined()
      expect(deleted.properties.recoveryLevel).toBe("Purgeable")
      expect((yield* Effect.flip(client.getSecret("gone")))._tag).toBe("NotFound")
      const exchanges = yield* vault.exchanges
      expect(exchanges.filter((x) => x.path.startsWith("/deletedsecrets"))).toEqual([])
      // The name is free again at once.
      expect(Redacted.value((yield* client.setSecret("gone", "again")).value)).toBe("again")
    }).pipe(
      Effect.provide(TestVault.layer({ recoveryLevel: "Purgeable", recoverableDays: 0, seed: [{ name: "gone", value: "v" }] }))
    ))

  it.scoped("HTTP server: deleteSecret through the client over a socket completes without polling", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.engine.seed([{ name: "gone", value: "v" }])
      const deleted = yield* Effect.flatMap(SecretClient.SecretClient, (c) => c.deleteSecret("gone")).pipe(
        Effect.provide(
          SecretClient.layer({ vaultUrl: emulator.url, allowInsecureLoopback: true, verifyChallengeResource: false }).pipe(
            Layer.provide(Credential.layerStatic("t")),
            Layer.provide(NodeHttpClient.layerUndici)
          )
        ),
        Effect.timeout("10 seconds")
      )
      expect(deleted.recoveryId).toBeUndefined()
      expect((yield* Effect.flip(emulator.engine.getSecret("gone"))).status).toBe(404)
    }).pipe(Effect.provide(Emulator.layer({ tls: false, recoveryLevel: "Purgeable", recoverableDays: 0 }))))

  it.live("wire: the DELETE answer carries no recoveryId / deletedDate / scheduledPurgeDate; soft delete keeps them", () =>
    Effect.promise(async () => {
      await withHandler({ recoveryLevel: "Purgeable", recoverableDays: 0 }, async (send) => {
        await send("PUT", `/secrets/a?${q()}`, { body: { value: "v", tags: { t: "1" } } })
        const r = await send("DELETE", `/secrets/a?${q()}`)
        expect(r.status).toBe(200)
        expect(r.json).not.toHaveProperty("recoveryId")
        expect(r.json).not.toHaveProperty("deletedDate")
        expect(r.json).not.toHaveProperty("scheduledPurgeDate")
        expect(r.json).not.toHaveProperty("value")
        expect(r.json.tags).toEqual({ t: "1" })
        expect(r.json.attributes).toMatchObject({ recoveryLevel: "Purgeable", recoverableDays: 0 })
        expect((await send("GET", `/deletedsecrets/a?${q()}`)).status).toBe(404)
        expect((await send("GET", `/deletedsecrets?${q()}`)).json.value).toEqual([])
      })
      await withHandler({}, async (send) => {
        await send("PUT", `/secrets/a?${q()}`, { body: { value: "v" } })
        const r = await send("DELETE", `/secrets/a?${q()}`)
        expect(r.json.recoveryId).toMatch(/\/deletedsecrets\/a$/)
        expect(typeof r.json.deletedDate).toBe("number")
        expect(r.json.scheduledPurgeDate - r.json.deletedDate).toBe(90 * 86400)
      })
    }))
})

const certSeed: ReadonlyArray<TestVault.Seed> = [
  { name: "tls-cert", value: "pfx-1", contentType: "application/x-pkcs12", managed: true, kid: "https://test.vault.azure.net/keys/tls-cert/k1" },
  { name: "tls-cert", value: "pfx-2", contentType: "application/x-pkcs12", managed: true, kid: "https://test.vault.azure.net/keys/tls-cert/k2" },
  { name: "plain", value: "p" }
]

describe("item 16: certificate-backed secrets and previousVersion", () => {
  it.effect("TestVault seeds managed secrets: managed, kid and (2025-07-01+) previousVersion = the version before", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const versions = Chunk.toArray(yield* Stream.runCollect(client.listPropertiesOfSecretVersions("tls-cert")))
      expect(versions.length).toBe(2)
      const [first, second] = versions.map((v) => v.version!)
      const latest = yield* client.getSecret("tls-cert")
      expect(latest.properties.version).toBe(second)
      expect(latest.properties.managed).toBe(true)
      expect(latest.properties.certificateKeyId).toBe("https://test.vault.azure.net/keys/tls-cert/k2")
      expect(latest.properties.previousVersion).toBe(first)
      // The first certificate had no predecessor; plain secrets never carry one.
      expect((yield* client.getSecret("tls-cert", { version: first! })).properties.previousVersion).toBeUndefined()
      expect((yield* client.getSecret("plain")).properties.previousVersion).toBeUndefined()
      // List items: managed, but never kid or previousVersion.
      const items = Chunk.toArray(yield* Stream.runCollect(client.listPropertiesOfSecrets()))
      const cert = items.find((p) => p.name === "tls-cert")!
      expect(cert.managed).toBe(true)
      expect(cert.certificateKeyId).toBeUndefined()
      expect(cert.previousVersion).toBeUndefined()
    }).pipe(Effect.provide(TestVault.layer({ seed: certSeed, client: { apiVersion: "2025-07-01" } }))))

  it.effect("before 2025-07-01 previousVersion is not on the wire", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const latest = yield* client.getSecret("tls-cert")
      expect(latest.properties.managed).toBe(true)
      expect(latest.properties.previousVersion).toBeUndefined()
    }).pipe(Effect.provide(TestVault.layer({ seed: certSeed, client: { apiVersion: "7.6" } }))))

  it.effect("a managed secret is read-only: set, update and delete answer 403 SecretManagedByKeyVault", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const set = yield* Effect.flip(client.setSecret("tls-cert", "overwrite"))
      expect(set._tag).toBe("Forbidden")
      const update = yield* Effect.flip(client.updateSecretProperties("tls-cert", { enabled: false }))
      expect(update._tag).toBe("Forbidden")
      const del = yield* Effect.flip(client.deleteSecret("tls-cert"))
      expect(del._tag).toBe("Forbidden")
      // Nothing changed.
      const latest = yield* client.getSecret("tls-cert")
      expect(Redacted.value(latest.value)).toBe("pfx-2")
      expect(latest.properties.enabled).toBe(true)
    }).pipe(Effect.provide(TestVault.layer({ seed: certSeed }))))

  it.live("wire: the 403 body is the service's (Forbidden + innererror SecretManagedByKeyVault)", () =>
    Effect.promise(() =>
      withHandler({}, async (send, engine) => {
        await Effect.runPromise(engine.seed([{ name: "c", value: "x", managed: true, kid: "k" }]))
        for (const [method, op] of [["PUT", "set"], ["PATCH", "update"], ["DELETE", "delete"]] as const) {
          const r = await send(method, `/secrets/c?${q("2025-07-01")}`, method === "DELETE" ? {} : { body: { value: "y" } })
          expect(r.status).toBe(403)
          expect(r.json).toEqual({
            error: {
              code: "Forbidden",
              message: `Operation "${op}" is not allowed as this object's lifetime is managed by Key Vault.`,
              innererror: { code: "SecretManagedByKeyVault" }
            }
          })
        }
        const got = await send("GET", `/secrets/c?${q("2025-07-01")}`)
        expect(got.json).toMatchObject({ value: "x", managed: true, kid: "k" })
        expect(got.json).not.toHaveProperty("previousVersion")
      })
    ))
})

describe("item 9: api-versions 2016-10-01 and 2026-03-01-preview", () => {
  it.live("2016-10-01 is accepted and answers like 7.0 (no recoverableDays, no outContentType, no previousVersion)", () =>
    Effect.promise(() =>
      withHandler({}, async (send, engine) => {
        await Effect.runPromise(engine.seed([
          { name: "c", value: "x", managed: true, kid: "k" },
          { name: "c", value: "y", managed: true, kid: "k" }
        ]))
        const v = q("2016-10-01")
        const set = await send("PUT", `/secrets/a?${v}`, { body: { value: "v" } })
        expect(set.status).toBe(200)
        expect(set.json.attributes).toMatchObject({ enabled: true, recoveryLevel: "Recoverable+Purgeable" })
        expect(set.json.attributes).not.toHaveProperty("recoverableDays")
        // outContentType did not exist yet: it is ignored, not validated.
        expect((await send("GET", `/secrets/a?${v}&outContentType=application/x-pem-file`)).status).toBe(200)
        expect((await send("GET", `/secrets/c?${v}`)).json).not.toHaveProperty("previousVersion")
        const deleted = await send("DELETE", `/secrets/a?${v}`)
        expect(deleted.json.recoveryId).toMatch(/\/deletedsecrets\/a$/)
        expect(deleted.json.attributes).not.toHaveProperty("recoverableDays")
        const list = await send("GET", `/deletedsecrets?${v}`)
        expect(list.json.value[0].attributes).not.toHaveProperty("recoverableDays")
      })
    ))

  it.live("2026-03-01-preview is accepted and answers like 2025-07-01 (recoverableDays, outContentType, previousVersion)", () =>
    Effect.promise(() =>
      withHandler({}, async (send, engine) => {
        await Effect.runPromise(engine.seed([
          { name: "c", value: "x", managed: true, kid: "k", contentType: "application/x-pkcs12" },
          { name: "c", value: "y", managed: true, kid: "k", contentType: "application/x-pkcs12" }
        ]))
        const v = q("2026-03-01-preview")
        const set = await send("PUT", `/secrets/a?${v}`, { body: { value: "v" } })
        expect(set.status).toBe(200)
        expect(set.json.attributes.recoverableDays).toBe(90)
        const pem = await send("GET", `/secrets/a?${v}&outContentType=application/x-pem-file`)
        expect([pem.status, pem.json.error.code]).toEqual([400, "BadParameter"])
        const versions = await collect(send, `/secrets/c/versions?${v}`)
        const cert = await send("GET", `/secrets/c?${v}`)
        expect(cert.json.previousVersion).toBe(lastSegment(versions[0].id))
        expect(lastSegment(cert.json.id)).toBe(lastSegment(versions[1].id))
        expect(versions.every((i: object) => !("previousVersion" in i) && !("kid" in i))).toBe(true)
      })
    ))

  it.live("an unknown version is still refused with 400 BadParameter", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        const r = await send("GET", `/secrets?${q("2016-10-02")}`)
        expect([r.status, r.json.error.code]).toEqual([400, "BadParameter"])
      })
    ))
})

describe("issue 11: listing pages come from a sorted index", () => {
  it.live("continuation after inserts and deletes between pages: every survivor once, in code-unit order", () =>
    Effect.promise(() =>
      withHandler({}, async (send, engine) => {
        const names = Array.from({ length: 60 }, (_, i) => `s-${(i * 7919 % 1000).toString().padStart(3, "0")}`)
        await Effect.runPromise(engine.seed(names.map((name) => ({ name, value: "v" }))))
        const sorted = [...names].sort()
        const first = await send("GET", `/secrets?${q()}&maxresults=10`)
        expect(first.json.value.map((i: { id: string }) => lastSegment(i.id))).toEqual(sorted.slice(0, 10))
        // Between pages: delete the next item and one already listed, insert one before and one after the marker.
        await send("DELETE", `/secrets/${sorted[10]}?${q()}`)
        await send("DELETE", `/secrets/${sorted[3]}?${q()}`)
        await send("PUT", `/secrets/S-000-early?${q()}`, { body: { value: "v" } })
        await send("PUT", `/secrets/s-zzz-late?${q()}`, { body: { value: "v" } })
        const link = new URL(first.json.nextLink)
        const rest = await collect(send, link.pathname + link.search)
        const got = rest.map((i: { id: string }) => lastSegment(i.id).toLowerCase())
        expect(got).toEqual([...sorted.slice(11), "s-zzz-late"])
        // A fresh listing sees exactly the live set, in order.
        const all = (await collect(send, `/secrets?${q()}&maxresults=7`)).map((i: { id: string }) => lastSegment(i.id).toLowerCase())
        const live = [...sorted.filter((n) => n !== sorted[10] && n !== sorted[3]), "s-000-early", "s-zzz-late"].sort()
        expect(all).toEqual(live)
        // Deleted secrets have their own index, in the same order.
        const deleted = (await collect(send, `/deletedsecrets?${q()}&maxresults=1`)).map((i: { id: string }) => lastSegment(i.id))
        expect(deleted).toEqual([sorted[3], sorted[10]])
      })
    ))

  it.live("recovered and purged secrets move between the indexes; versions page by position", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        for (const n of ["b", "a", "c"]) await send("PUT", `/secrets/${n}?${q()}`, { body: { value: "v" } })
        for (let i = 0; i < 4; i++) await send("PUT", `/secrets/a?${q()}`, { body: { value: `v${i}` } })
        await send("DELETE", `/secrets/b?${q()}`)
        await send("DELETE", `/secrets/c?${q()}`)
        await send("POST", `/deletedsecrets/b/recover?${q()}`)
        await send("DELETE", `/deletedsecrets/c?${q()}`)
        const live = await collect(send, `/secrets?${q()}&maxresults=1`)
        expect(live.map((i: { id: string }) => lastSegment(i.id))).toEqual(["a", "b"])
        expect((await collect(send, `/deletedsecrets?${q()}`)).length).toBe(0)
        const versions = await collect(send, `/secrets/a/versions?${q()}&maxresults=2`)
        expect(versions.length).toBe(5)
        expect(new Set(versions.map((i: { id: string }) => lastSegment(i.id))).size).toBe(5)
        const latest = await send("GET", `/secrets/a?${q()}`)
        expect(lastSegment(versions[4].id)).toBe(lastSegment(latest.json.id))
      })
    ))

  it.effect("deleted secrets past their purge date disappear from lists and free their name (TestClock)", () =>
    Effect.gen(function*() {
      const engine = yield* VaultEngine.make({ recoveryLevel: "CustomizedRecoverable+Purgeable", recoverableDays: 7 })
      yield* engine.seed([{ name: "x", value: "1" }, { name: "y", value: "2" }])
      yield* engine.deleteSecret("x")
      yield* TestClock.adjust("1 day")
      yield* engine.deleteSecret("y")
      expect((yield* engine.listDeletedSecretsPage(undefined, 10)).map((d) => d.name)).toEqual(["x", "y"])
      yield* TestClock.adjust("6 days")
      expect((yield* engine.listDeletedSecretsPage(undefined, 10)).map((d) => d.name)).toEqual(["y"])
      yield* engine.setSecret("x", { value: "new" })
      yield* TestClock.adjust("1 day")
      expect(yield* engine.listDeletedSecrets).toEqual([])
      expect((yield* engine.listSecretsPage("x", 10)).map((s) => s.value)).toEqual(["new"])
    }))
  it.live("a change rolled back by a failed save is rolled back in the listing indexes too", () =>
    Effect.promise(async () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "emu-index-")), "vault.json")
      await withHandler({ dataFile: file }, async (send) => {
        expect((await send("PUT", `/secrets/kept?${q()}`, { body: { value: "1" } })).status).toBe(200)
        const blocker = `${file}.${process.pid}.tmp`
        fs.mkdirSync(blocker) // the next saves cannot open their temp file
        expect((await send("PUT", `/secrets/lost?${q()}`, { body: { value: "2" } })).status).toBe(500)
        expect((await send("DELETE", `/secrets/kept?${q()}`)).status).toBe(500)
        const live = (await collect(send, `/secrets?${q()}`)).map((i: { id: string }) => lastSegment(i.id))
        expect(live).toEqual(["kept"])
        expect(await collect(send, `/deletedsecrets?${q()}`)).toEqual([])
        fs.rmdirSync(blocker)
        expect((await send("DELETE", `/secrets/kept?${q()}`)).status).toBe(200)
        expect(await collect(send, `/secrets?${q()}`)).toEqual([])
        expect((await collect(send, `/deletedsecrets?${q()}`)).map((i: { id: string }) => lastSegment(i.id))).toEqual(["kept"])
      })
    }))
})
