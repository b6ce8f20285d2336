/**
 * The official `@azure/keyvault-secrets` 4.12 `SecretClient` against our emulator over HTTPS on
 * 127.0.0.1 (the emulator's generated certificate trusted per client via `tlsOptions.ca`; never
 * `NODE_TLS_REJECT_UNAUTHORIZED`). Consistency delays are ON for delete/recover/purge so the SDK's
 * pollers really poll.
 *
 * Plain HTTP: 4.12's Key Vault challenge policy (`@azure/keyvault-common` 2.1.1,
 * `verifyChallengeOrigin`) throws "The request URL must use HTTPS." for any http: URL, whatever
 * `allowInsecureConnection` / `disableChallengeResourceVerification` say; the last describe block pins
 * that down, so the scenarios run over HTTPS only.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Emulator } from "@effect-keyvault/emulator"
import * as Emu from "./support/emulator.js"
import { makeClient, rejection, uniqueName } from "./support/officialSdk.js"

type Running = Emu.Running

const POLL = { intervalInMs: 50 }
const collect = async <A>(iterable: AsyncIterable<A>): Promise<Array<A>> => {
  const out: Array<A> = []
  for await (const a of iterable) out.push(a)
  return out
}

describe("official SDK over HTTPS (consistency delays on)", () => {
  let emulator: Running
  beforeAll(async () => {
    emulator = await Emulator.startServer({
      tls: true,
      host: "127.0.0.1",
      token: Emu.TOKEN,
      consistencyDelay: { delete: "500 millis", recover: "500 millis", purge: "500 millis" }
    })
  })
  afterAll(async () => {
    await emulator?.close()
  })
  const sdk = () => makeClient(emulator, Emu.TOKEN)

  it("CRUD: set, get, update tags/contentType, get again; challenge probe first; api%2Dversion 2026-04-01", async () => {
    const { client, log } = sdk()
    const name = uniqueName("crud")
    const set = await client.setSecret(name, "v1", { contentType: "text/plain", tags: { env: "test" } })
    expect(set.value).toBe("v1")
    expect(set.properties.contentType).toBe("text/plain")
    expect(set.properties.tags).toEqual({ env: "test" })
    expect(set.properties.version).toMatch(/^[0-9a-f]{32}$/)
    expect(set.properties.createdOn).toBeInstanceOf(Date)
    // The first request of a client is the token-less probe; the emulator answers with the 401 challenge.
    expect(log[0]).toMatchObject({ method: "PUT", status: 401, authorized: false })
    expect(log[1]).toMatchObject({ method: "PUT", status: 200, authorized: true })
    expect(log[1]!.url).toContain("api%2Dversion=2026-04-01")

    const got = await client.getSecret(name)
    expect(got.value).toBe("v1")
    expect(got.properties.id).toBe(set.properties.id)

    const updated = await client.updateSecretProperties(name, set.properties.version!, { tags: { env: "prod" }, contentType: "application/json" })
    expect(updated.tags).toEqual({ env: "prod" })
    expect(updated.contentType).toBe("application/json")
    const again = await client.getSecret(name)
    expect(again.properties.tags).toEqual({ env: "prod" })
    expect(again.value).toBe("v1")
  })

  it("multiple versions: latest wins, get by version returns the old value", async () => {
    const { client } = sdk()
    const name = uniqueName("versions")
    const v1 = await client.setSecret(name, "one")
    const v2 = await client.setSecret(name, "two")
    expect(v1.properties.version).not.toBe(v2.properties.version)
    expect((await client.getSecret(name)).value).toBe("two")
    const old = await client.getSecret(name, { version: v1.properties.version! })
    expect(old.value).toBe("one")
    expect(old.properties.version).toBe(v1.properties.version)
  })

  it("update with empty version (PATCH /secrets/{name}/) updates the latest version", async () => {
    const { client, log } = sdk()
    const name = uniqueName("emptyver")
    await client.setSecret(name, "a")
    const latest = await client.setSecret(name, "b")
    const updated = await client.updateSecretProperties(name, "", { enabled: true, tags: { k: "v" } })
    expect(updated.version).toBe(latest.properties.version)
    expect(updated.tags).toEqual({ k: "v" })
    const patch = log.find((e) => e.method === "PATCH")!
    expect(new URL(patch.url).pathname).toBe(`/secrets/${name}/`)
    expect(patch.status).toBe(200)
  })

  it("get of a disabled secret → 403 Forbidden", async () => {
    const { client } = sdk()
    const name = uniqueName("disabled")
    const set = await client.setSecret(name, "hidden", { enabled: false })
    expect(set.properties.enabled).toBe(false)
    const e = await rejection(() => client.getSecret(name))
    expect(e.statusCode).toBe(403)
    expect(e.code).toBe("Forbidden")
    expect(e.message).toBe("Operation get is not allowed on a disabled secret.")
  })

  it("get of a missing secret → 404 SecretNotFound", async () => {
    const { client } = sdk()
    const name = uniqueName("missing")
    const e = await rejection(() => client.getSecret(name))
    expect(e.statusCode).toBe(404)
    expect(e.code).toBe("SecretNotFound")
    expect(e.message).toContain(`A secret with (name/id) ${name} was not found in this key vault.`)
  })

  it("delete / recover / purge pollers poll through the consistency windows", async () => {
    const { client, log } = sdk()
    const name = uniqueName("lro")
    await client.setSecret(name, "lro-value", { tags: { t: "1" } })

    const deleted = await (await client.beginDeleteSecret(name, POLL)).pollUntilDone()
    expect(deleted.name).toBe(name)
    expect(deleted.properties.recoveryId).toMatch(new RegExp(`/deletedsecrets/${name}$`))
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date)
    expect(deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()).toBe(
      deleted.properties.recoverableDays! * 86400 * 1000
    )
    // The poller saw the eventual-consistency 404 before the 200.
    const deletedPolls = log.filter((e) => e.method === "GET" && new URL(e.url).pathname === `/deletedsecrets/${name}`).map((e) => e.status)
    expect(deletedPolls[0]).toBe(404)
    expect(deletedPolls.at(-1)).toBe(200)

    const fetchedDeleted = await client.getDeletedSecret(name)
    expect(fetchedDeleted.properties.tags).toEqual({ t: "1" })
    expect(fetchedDeleted.value).toBeUndefined()

    const recovered = await (await client.beginRecoverDeletedSecret(name, POLL)).pollUntilDone()
    expect(recovered.name).toBe(name)
    const recoverPolls = log.filter((e) => e.method === "GET" && new URL(e.url).pathname === `/secrets/${name}/`).map((e) => e.status)
    expect(recoverPolls[0]).toBe(404)
    expect(recoverPolls.at(-1)).toBe(200)
    expect((await client.getSecret(name)).value).toBe("lro-value")

    await (await client.beginDeleteSecret(name, POLL)).pollUntilDone()
    await client.purgeDeletedSecret(name)
    const gone = await rejection(() => client.getDeletedSecret(name))
    expect(gone.statusCode).toBe(404)
  })

  it("list versions returns every version, distinct, unversioned name, versioned ids", async () => {
    const { client } = sdk()
    const name = uniqueName("listver")
    const versions: Array<string> = []
    for (let i = 0; i < 4; i++) versions.push((await client.setSecret(name, `v${i}`)).properties.version!)
    const listed = await collect(client.listPropertiesOfSecretVersions(name))
    expect(listed.map((p) => p.version).sort()).toEqual([...versions].sort())
    for (const p of listed) {
      expect(p.name).toBe(name)
      expect(p.id).toMatch(new RegExp(`/secrets/${name}/[0-9a-f]{32}$`))
    }
  })

  it("backup / restore round trip (restore right after purge: 409, then 200)", async () => {
    const { client } = sdk()
    const name = uniqueName("backup")
    const set = await client.setSecret(name, "backed-up", { contentType: "text/plain", tags: { a: "b" } })
    const blob = await client.backupSecret(name)
    expect(blob).toBeInstanceOf(Uint8Array)
    expect(blob!.length).toBeGreaterThan(0)

    // Restore over an existing name → 409.
    const exists = await rejection(() => client.restoreSecretBackup(blob!))
    expect(exists.statusCode).toBe(409)
    expect(exists.code).toBe("Conflict")

    await (await client.beginDeleteSecret(name, POLL)).pollUntilDone()
    await client.purgeDeletedSecret(name)
    // Purge is asynchronous (purge delay 500 ms): the immediate restore conflicts, as recorded by the JS SDK.
    const early = await rejection(() => client.restoreSecretBackup(blob!))
    expect(early.statusCode).toBe(409)
    let restored: Awaited<ReturnType<typeof client.restoreSecretBackup>> | undefined
    for (let i = 0; i < 100 && restored === undefined; i++) {
      try {
        restored = await client.restoreSecretBackup(blob!)
      } catch (e) {
        expect((e as { statusCode?: number }).statusCode).toBe(409)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    expect(restored!.name).toBe(name)
    expect(restored!.version).toBe(set.properties.version)
    expect(restored!.tags).toEqual({ a: "b" })
    const back = await client.getSecret(name)
    expect(back.value).toBe("backed-up")
    expect(back.properties.contentType).toBe("text/plain")
  })

  it("restore of malformed bytes → 400 Malformed backup blob", async () => {
    const { client } = sdk()
    const e = await rejection(() => client.restoreSecretBackup(new Uint8Array(4728)))
    expect(e.statusCode).toBe(400)
    expect(e.code).toBe("Malformed backup blob")
    expect(e.message).toBe("Backup blob contains invalid or corrupt version.")
  })

  it("set on a soft-deleted name → 409 Conflict / ObjectIsDeletedButRecoverable", async () => {
    const { client } = sdk()
    const name = uniqueName("softdel")
    await client.setSecret(name, "x")
    await (await client.beginDeleteSecret(name, POLL)).pollUntilDone()
    const e = await rejection(() => client.setSecret(name, "y"))
    expect(e.statusCode).toBe(409)
    expect(e.code).toBe("Conflict")
    expect(e.message).toBe(
      `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`
    )
    const deleted = await collect(client.listDeletedSecrets())
    expect(deleted.map((d) => d.name)).toContain(name)
    expect(deleted.find((d) => d.name === name)!.properties.recoveryId).toMatch(new RegExp(`/deletedsecrets/${name}$`))
  })

  it("50 concurrent writers: 50 names and 50 versions of one name", async () => {
    const { client } = sdk()
    const prefix = uniqueName("conc")
    const names = Array.from({ length: 50 }, (_, i) => `${prefix}-${i}`)
    const sets = await Promise.all(names.map((n) => client.setSecret(n, `value-${n}`)))
    expect(new Set(sets.map((s) => s.properties.id)).size).toBe(50)
    const values = await Promise.all(names.map((n) => client.getSecret(n)))
    expect(values.map((v) => v.value)).toEqual(names.map((n) => `value-${n}`))

    const one = `${prefix}-one`
    const versions = await Promise.all(Array.from({ length: 50 }, (_, i) => client.setSecret(one, `v${i}`)))
    const minted = new Set(versions.map((v) => v.properties.version))
    expect(minted.size).toBe(50)
    const listed = await collect(client.listPropertiesOfSecretVersions(one))
    expect(listed).toHaveLength(50)
    expect(new Set(listed.map((p) => p.version))).toEqual(minted)
  })

  it("the token option is enforced: a wrong token → 401", async () => {
    const { client } = makeClient(emulator, "not-the-token")
    const e = await rejection(() => client.getSecret(uniqueName("auth")))
    expect(e.statusCode).toBe(401)
  })

  it("CRUD with serviceVersion 7.3", async () => {
    const { client, log } = makeClient(emulator, Emu.TOKEN, { serviceVersion: "7.3" })
    const name = uniqueName("v73")
    const set = await client.setSecret(name, "old-api")
    expect((await client.getSecret(name)).value).toBe("old-api")
    const updated = await client.updateSecretProperties(name, set.properties.version!, { contentType: "x" })
    expect(updated.contentType).toBe("x")
    await (await client.beginDeleteSecret(name, POLL)).pollUntilDone()
    await client.purgeDeletedSecret(name)
    expect(log.every((e) => e.url.includes("api%2Dversion=7.3"))).toBe(true)
  })
})

describe("official SDK listing by page", () => {
  let emulator: Running
  beforeAll(async () => {
    emulator = await Emulator.startServer({ tls: true, host: "127.0.0.1", token: Emu.TOKEN })
  })
  afterAll(async () => {
    await emulator?.close()
  })

  it("byPage({ maxPageSize }) and continuation tokens cover every secret exactly once", async () => {
    const { client, log } = makeClient(emulator, Emu.TOKEN)
    const names = Array.from({ length: 11 }, (_, i) => `page-${String(i).padStart(2, "0")}`)
    for (const n of names) await client.setSecret(n, n)

    const pages: Array<Array<string>> = []
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 4 })) {
      pages.push(page.map((p) => p.name))
      expect(page.length).toBeLessThanOrEqual(4)
    }
    expect(pages.flat().sort()).toEqual(names)
    expect(pages.length).toBeGreaterThanOrEqual(3)
    // 4.12's byPage drops `continuationToken` from the pages it maps (transformations.js
    // mapPagedAsyncIterable: `page.map(mapper)`), so take the token — the first page's nextLink —
    // from the wire: it is the URL of the second page request.
    const listRequests = log.filter((e) => e.method === "GET" && new URL(e.url).pathname === "/secrets")
    expect(listRequests).toHaveLength(pages.length)
    const token = listRequests[1]!.url
    expect(new URL(token).searchParams.get("maxresults")).toBe("4")

    // Resuming from the first page's continuation token yields exactly the rest.
    const rest: Array<string> = []
    for await (const page of client.listPropertiesOfSecrets().byPage({ continuationToken: token, maxPageSize: 4 })) {
      rest.push(...page.map((p) => p.name))
    }
    expect(rest.sort()).toEqual(names.filter((n) => !pages[0]!.includes(n)).sort())
  })
})

describe("official SDK: transport security", () => {
  let emulator: Running
  beforeAll(async () => {
    emulator = await Emulator.startServer({ tls: true, host: "127.0.0.1", token: Emu.TOKEN })
  })
  afterAll(async () => {
    await emulator?.close()
  })

  it("CRUD over TLS with tlsOptions.ca", async () => {
    expect(emulator.url.startsWith("https://")).toBe(true)
    expect(emulator.certificatePem).toContain("BEGIN CERTIFICATE")
    const { client } = makeClient(emulator, Emu.TOKEN)
    const name = uniqueName("tls")
    const set = await client.setSecret(name, "over-tls", { tags: { secure: "yes" } })
    const got = await client.getSecret(name)
    expect(got.value).toBe("over-tls")
    expect(got.properties.tags).toEqual({ secure: "yes" })
    const updated = await client.updateSecretProperties(name, set.properties.version!, { enabled: false })
    expect(updated.enabled).toBe(false)
    await (await client.beginDeleteSecret(name, POLL)).pollUntilDone()
    await client.purgeDeletedSecret(name)
    expect((await rejection(() => client.getSecret(name))).statusCode).toBe(404)
  })

  it("plain HTTP is refused by the official 4.12 challenge policy, even with allowInsecureConnection", async () => {
    const plain = await Emulator.startServer({ tls: false, host: "127.0.0.1", token: Emu.TOKEN })
    try {
      expect(plain.url.startsWith("http://127.0.0.1:")).toBe(true)
      const { client, log } = makeClient(plain, Emu.TOKEN)
      const e = await rejection(() => client.getSecret("anything"))
      expect(e.message).toBe("The request URL must use HTTPS.")
      // The emulator did answer the token-less probe with its challenge; the SDK refused to go on.
      expect(log).toHaveLength(1)
      expect(log[0]).toMatchObject({ status: 401, authorized: false })
    } finally {
      await plain.close()
    }
  })

  it("a client that does not trust the certificate fails", async () => {
    const { client } = makeClient({ url: emulator.url, certificatePem: undefined }, Emu.TOKEN)
    const e = await rejection(() => client.getSecret("anything"))
    expect(e.message).toMatch(/certificate|self[- ]signed|verify/i)
  })
})
