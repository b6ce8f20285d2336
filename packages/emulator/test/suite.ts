// The HTTP behaviour suite, run against the in-process handler, plain HTTP and HTTPS (see *.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { q, type Reply, type Send } from "./utils.js"

const NOT_FOUND = (n: string) =>
  `A secret with (name/id) ${n} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`

export interface Target {
  readonly send: Send
  /** the origin ids must start with */
  readonly origin: string
  readonly close: () => Promise<void>
}

const expectError = (r: Reply, status: number, code: string, message?: string, inner?: string) => {
  expect(r.status).toBe(status)
  expect(r.json.error.code).toBe(code)
  if (message !== undefined) expect(r.json.error.message).toBe(message)
  if (inner !== undefined) expect(r.json.error.innererror).toEqual({ code: inner })
  else expect(r.json.error.innererror).toBeUndefined()
}

let counter = 0
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${(counter++).toString(36)}`

export const defineVaultSuite = (label: string, setup: () => Promise<Target>) =>
  describe(label, () => {
    let t: Target
    let send: Send
    beforeAll(async () => {
      t = await setup()
      send = t.send
    })
    afterAll(() => t.close())

    it("answers an unauthenticated request with the Key Vault 401 challenge", async () => {
      const r = await send("PUT", `/secrets/x?${q()}`, { auth: null })
      expectError(r, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
      expect(r.headers.get("www-authenticate")).toMatch(
        /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}", resource="https:\/\/vault\.azure\.net"$/
      )
      expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8")
    })

    it("set/get: versioned id, value, integer timestamps, tags omitted, headers", async () => {
      const name = unique("crud")
      const set = await send("PUT", `/secrets/${name}?${q()}`, {
        body: { value: "s3cret", attributes: {} },
        headers: { "x-ms-client-request-id": "abc-123" }
      })
      expect(set.status).toBe(200)
      expect(set.json.value).toBe("s3cret")
      expect(set.json.id).toMatch(new RegExp(`^${t.origin}/secrets/${name}/[0-9a-f]{32}$`))
      expect(set.json.tags).toBeUndefined()
      expect(set.json.contentType).toBeUndefined()
      const a = set.json.attributes
      expect(Number.isInteger(a.created) && Number.isInteger(a.updated)).toBe(true)
      expect(a).toMatchObject({ enabled: true, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 })
      expect(set.headers.get("x-ms-client-request-id")).toBe("abc-123")
      expect(set.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/)
      expect(set.headers.get("cache-control")).toBe("no-cache")

      const latest = await send("GET", `/secrets/${name}/?${q()}`)
      expect(latest.status).toBe(200)
      expect(latest.json).toEqual(set.json)
      const noSlash = await send("GET", `/secrets/${name}?${q()}`)
      expect(noSlash.json.id).toBe(set.json.id)
      const version = set.json.id.split("/").pop()
      const byVersion = await send("GET", `/secrets/${name}/${version}?${q()}`)
      expect(byVersion.json.value).toBe("s3cret")
    })

    it("names are case-insensitive and keep their original casing", async () => {
      const name = unique("MixedCase")
      await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "a" } })
      const r = await send("GET", `/secrets/${name.toUpperCase()}/?${q()}`)
      expect(r.status).toBe(200)
      expect(r.json.id).toContain(`/secrets/${name}/`)
      const second = await send("PUT", `/secrets/${name.toLowerCase()}?${q()}`, { body: { value: "b" } })
      expect(second.json.id).toContain(`/secrets/${name}/`)
      const versions = await send("GET", `/secrets/${name}/versions?${q()}`)
      expect(versions.json.value).toHaveLength(2)
    })

    it("accepts a percent-encoded api-version key and every SDK api-version", async () => {
      const name = unique("enc")
      await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "v" } })
      for (const v of ["7.0", "7.1", "7.2", "7.3", "7.4", "7.4-preview.1", "7.5", "7.6", "2025-07-01", "2026-04-01"]) {
        const r = await send("GET", `/secrets/${name}/?api%2Dversion=${v}`)
        expect(r.status, v).toBe(200)
        expect("recoverableDays" in r.json.attributes, v).toBe(v !== "7.0")
      }
    })

    it("rejects a missing or unknown api-version with 400 BadParameter", async () => {
      expectError(await send("GET", `/secrets`), 400, "BadParameter")
      expectError(
        await send("GET", `/secrets?api-version=9.9`),
        400,
        "BadParameter",
        "The specified version (9.9) is not recognized. Consider using the latest supported version (2026-04-01)."
      )
    })

    it("404 SecretNotFound on unknown names and versions", async () => {
      const name = unique("missing")
      expectError(await send("GET", `/secrets/${name}/?${q()}`), 404, "SecretNotFound", NOT_FOUND(name))
      expectError(await send("PATCH", `/secrets/${name}/?${q()}`, { body: {} }), 404, "SecretNotFound")
      expectError(await send("DELETE", `/secrets/${name}?${q()}`), 404, "SecretNotFound")
      expectError(await send("POST", `/secrets/${name}/backup?${q()}`), 404, "SecretNotFound")
      expectError(await send("GET", `/deletedsecrets/${name}?${q()}`), 404, "SecretNotFound", `Deleted Secret not found: ${name}`)
      expectError(await send("POST", `/deletedsecrets/${name}/recover?${q()}`), 404, "SecretNotFound")
      expectError(await send("DELETE", `/deletedsecrets/${name}?${q()}`), 404, "SecretNotFound")
      await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "v" } })
      expectError(await send("GET", `/secrets/${name}/${"0".repeat(32)}?${q()}`), 404, "SecretNotFound")
    })

    it("update (PATCH) with empty and explicit version; response has no value", async () => {
      const name = unique("upd")
      const v1 = await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "one" } })
      const v2 = await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "two" } })
      const latest = await send("PATCH", `/secrets/${name}/?${q()}`, {
        body: { contentType: "text/plain", tags: { a: "b" }, attributes: { exp: 4102444800 } }
      })
      expect(latest.status).toBe(200)
      expect(latest.json.value).toBeUndefined()
      expect(latest.json.id).toBe(v2.json.id)
      expect(latest.json).toMatchObject({ contentType: "text/plain", tags: { a: "b" } })
      // 2100-01-01 is past 2038: stored and echoed as a full integer
      expect(latest.json.attributes.exp).toBe(4102444800)
      const ver1 = v1.json.id.split("/").pop()
      const first = await send("PATCH", `/secrets/${name}/${ver1}?${q()}`, { body: { attributes: { enabled: false } } })
      expect(first.json.id).toBe(v1.json.id)
      expect(first.json.attributes.enabled).toBe(false)
      const got = await send("GET", `/secrets/${name}/?${q()}`)
      expect(got.json).toMatchObject({ value: "two", contentType: "text/plain", tags: { a: "b" } })
    })

    it("403 Forbidden/SecretDisabled on get of a disabled secret", async () => {
      const name = unique("disabled")
      await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "v", attributes: { enabled: false } } })
      expectError(
        await send("GET", `/secrets/${name}/?${q()}`),
        403,
        "Forbidden",
        "Operation get is not allowed on a disabled secret.",
        "SecretDisabled"
      )
    })

    it("delete, get deleted, 409 on set while soft-deleted, list deleted, recover, purge 204", async () => {
      const name = unique("soft")
      await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "v", tags: { t: "1" }, contentType: "ct" } })
      const del = await send("DELETE", `/secrets/${name}?${q()}`)
      expect(del.status).toBe(200)
      expect(del.json.value).toBeUndefined()
      expect(del.json.recoveryId).toBe(`${t.origin}/deletedsecrets/${name}`)
      expect(del.json.scheduledPurgeDate).toBe(del.json.deletedDate + 90 * 86400)
      expect(del.json).toMatchObject({ tags: { t: "1" }, contentType: "ct" })
      expect(del.json.id).toMatch(/\/[0-9a-f]{32}$/)
      expectError(await send("GET", `/secrets/${name}/?${q()}`), 404, "SecretNotFound")
      const gd = await send("GET", `/deletedsecrets/${name}?${q()}`)
      expect(gd.status).toBe(200)
      expect(gd.json.value).toBeUndefined()
      expectError(
        await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "again" } }),
        409,
        "Conflict",
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        "ObjectIsDeletedButRecoverable"
      )
      const listed = await collect(send, `/deletedsecrets?${q()}`)
      const item = listed.find((i) => i.recoveryId === `${t.origin}/deletedsecrets/${name}`)
      expect(item.id).toBe(`${t.origin}/secrets/${name}`)
      expect(item.value).toBeUndefined()
      const rec = await send("POST", `/deletedsecrets/${name}/recover?${q()}`)
      expect(rec.status).toBe(200)
      expect(rec.json.value).toBeUndefined()
      expect(rec.json.id).toBe(del.json.id)
      expect((await send("GET", `/secrets/${name}/?${q()}`)).json.value).toBe("v")
      await send("DELETE", `/secrets/${name}?${q()}`)
      const purge = await send("DELETE", `/deletedsecrets/${name}?${q()}`)
      expect(purge.status).toBe(204)
      expect(purge.text).toBe("")
      expect(purge.headers.get("content-type")).toBeNull()
      expectError(await send("GET", `/deletedsecrets/${name}?${q()}`), 404, "SecretNotFound")
      expect((await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "new" } })).status).toBe(200)
    })

    it("lists: unversioned ids, no value, maxresults paging with opaque $skiptoken and absolute nextLink", async () => {
      const prefix = unique("page")
      for (let i = 0; i < 7; i++) await send("PUT", `/secrets/${prefix}-${i}?${q()}`, { body: { value: `v${i}` } })
      const first = await send("GET", `/secrets?${q()}&maxresults=3`)
      expect(first.status).toBe(200)
      expect(first.json.value.length).toBeLessThanOrEqual(3)
      expect(first.json.nextLink).toMatch(/^https?:\/\/[^/]+:\d+\/secrets\?api-version=7\.5&\$skiptoken=[A-Za-z0-9_-]+&maxresults=3$/)
      const all = await collect(send, `/secrets?${q()}&maxresults=3`)
      const mine = all.filter((i) => i.id.includes(`/secrets/${prefix}-`))
      expect(mine.map((i) => i.id)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `${t.origin}/secrets/${prefix}-${i}`))
      for (const i of mine) expect(i.value).toBeUndefined()
      expect(new Set(all.map((i) => i.id)).size).toBe(all.length)
      expectError(await send("GET", `/secrets?${q()}&maxresults=26`), 400, "BadParameter")
      expectError(await send("GET", `/secrets?${q()}&maxresults=0`), 400, "BadParameter")
      expectError(await send("GET", `/secrets?${q()}&$skiptoken=garbage`), 400, "BadParameter")
    })

    it("list versions: versioned ids; unknown name gives an empty page with explicit nextLink null", async () => {
      const name = unique("vers")
      const ids: Array<string> = []
      for (let i = 0; i < 4; i++) ids.push((await send("PUT", `/secrets/${name}?${q()}`, { body: { value: `${i}` } })).json.id)
      const items = await collect(send, `/secrets/${name}/versions?${q()}&maxresults=2`)
      expect(items.map((i) => i.id).sort()).toEqual([...ids].sort())
      const empty = await send("GET", `/secrets/${unique("nobody")}/versions?${q()}`)
      expect(empty.status).toBe(200)
      expect(empty.text).toBe(`{"value":[],"nextLink":null}`)
    })

    it("backup/restore brings back every version with its id; conflicts and malformed blobs", async () => {
      const name = unique("bak")
      const a = await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "first", tags: { k: "v" } } })
      const b = await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "second", contentType: "text/plain" } })
      const backup = await send("POST", `/secrets/${name}/backup?${q()}`)
      expect(backup.status).toBe(200)
      expect(backup.json.value).toMatch(/^[A-Za-z0-9_-]+$/)
      expect(backup.text).not.toContain("first")
      const conflict = await send("POST", `/secrets/restore?${q()}`, { body: { value: backup.json.value } })
      expectError(conflict, 409, "Conflict")
      expect(conflict.json.error.message).toMatch(
        new RegExp(`^There was a conflict restoring the secret '${b.json.id}'\\. This can happen if either: `)
      )
      await send("DELETE", `/secrets/${name}?${q()}`)
      expectError(await send("POST", `/secrets/restore?${q()}`, { body: { value: backup.json.value } }), 409, "Conflict")
      expect((await send("DELETE", `/deletedsecrets/${name}?${q()}`)).status).toBe(204)
      const restored = await send("POST", `/secrets/restore?${q()}`, { body: { value: backup.json.value } })
      expect(restored.status).toBe(200)
      expect(restored.json.value).toBeUndefined()
      expect(restored.json.id).toBe(b.json.id)
      const versions = await collect(send, `/secrets/${name}/versions?${q()}`)
      expect(versions.map((v) => v.id).sort()).toEqual([a.json.id, b.json.id].sort())
      expect((await send("GET", `/secrets/${name}/${a.json.id.split("/").pop()}?${q()}`)).json).toMatchObject({
        value: "first",
        tags: { k: "v" }
      })
      const malformed = "Backup blob contains invalid or corrupt version."
      expectError(
        await send("POST", `/secrets/restore?${q()}`, { body: { value: "A".repeat(6304) } }),
        400,
        "Malformed backup blob",
        malformed
      )
      const raw = Buffer.from(backup.json.value, "base64url")
      raw[raw.length - 5] = raw[raw.length - 5]! ^ 0xff
      expectError(
        await send("POST", `/secrets/restore?${q()}`, { body: { value: raw.toString("base64url") } }),
        400,
        "Malformed backup blob",
        malformed
      )
    })

    it("validation: invalid name 400, empty name 405, limits, malformed JSON", async () => {
      expectError(
        await send("PUT", `/secrets/bad_name?${q()}`, { body: { value: "v" } }),
        400,
        "BadParameter",
        "The request URI contains an invalid name: bad_name"
      )
      expectError(await send("GET", `/secrets/${"a".repeat(128)}/?${q()}`), 400, "BadParameter")
      expect((await send("PUT", `/secrets/${unique("x").padEnd(127, "z")}?${q()}`, { body: { value: "v" } })).status).toBe(200)
      expectError(await send("PUT", `/secrets/?${q()}`, { body: { value: "v" } }), 405, "MethodNotAllowed", "HTTP PUT not allowed")
      const name = unique("limits")
      expect((await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "x".repeat(25 * 1024) } })).status).toBe(200)
      expectError(await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "x".repeat(25 * 1024 + 1) } }), 400, "BadParameter")
      const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"]))
      expectError(await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "v", tags } }), 400, "BadParameter")
      expectError(await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "v", contentType: "c".repeat(256) } }), 400, "BadParameter")
      expectError(await send("PUT", `/secrets/${name}?${q()}`, { rawBody: "{not json" }), 400, "BadParameter")
      expectError(await send("PUT", `/secrets/${name}?${q()}`, { body: { notValue: 1 } }), 400, "BadParameter")
      expectError(await send("PUT", `/secrets/${name}?${q()}`, { rawBody: "x".repeat(1024 * 1024 + 10) }), 413, "RequestEntityTooLarge")
    })

    it("outContentType is refused on a non-PFX secret", async () => {
      const name = unique("pem")
      await send("PUT", `/secrets/${name}?${q()}`, { body: { value: "v" } })
      expectError(await send("GET", `/secrets/${name}/?api-version=2025-07-01&outContentType=application/x-pem-file`), 400, "BadParameter")
    })
  })

/** Follows nextLink (absolute) until null, collecting items. */
export const collect = async (send: Send, first: string): Promise<Array<any>> => {
  const out: Array<any> = []
  let path: string | null = first
  for (let guard = 0; path !== null && guard < 1000; guard++) {
    const r: Reply = await send("GET", path)
    expect(r.status).toBe(200)
    expect("nextLink" in r.json).toBe(true)
    out.push(...r.json.value)
    const link: string | null = r.json.nextLink
    path = link === null ? null : (() => {
      const u = new URL(link)
      return u.pathname + u.search
    })()
  }
  return out
}
