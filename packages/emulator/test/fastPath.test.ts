/**
 * The socket server answers its hot routes (GET a secret, a page of the listing) without a fiber, straight
 * from the engine on the live clock; every other request goes through the vault's Effect path, which the
 * in-process handler and HttpClient use for everything. Both must give the same answers, byte for byte.
 */
import * as HttpApp from "@effect/platform/HttpApp"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as net from "node:net"
import { Emulator, VaultEngine } from "../src/index.js"
import * as httpApp from "../src/internal/httpApp.js"
import { q, type Reply, type Send, viaFetch, viaHandler } from "./utils.js"

// Headers that differ per answer or per carrier (web Response vs socket) and say nothing about the vault.
const PER_ANSWER = new Set(["x-ms-request-id", "date", "connection", "keep-alive", "content-length", "transfer-encoding"])
const kvHeaders = (reply: Reply) => Object.fromEntries([...reply.headers].filter(([k]) => !PER_ANSWER.has(k)).sort())

describe("hot routes: the socket server's fiber-less answers equal the Effect path's", () => {
  const TOKEN = "fast-path-token"
  let server: Awaited<ReturnType<typeof Emulator.startServer>>
  let overSocket: Send
  let inProcess: Send
  const versions: Array<string> = []

  beforeAll(async () => {
    server = await Emulator.startServer({ tls: false, token: TOKEN })
    const { engine } = server
    // The same engine behind the Effect path, reached with the socket server's origin.
    const handler = HttpApp.toWebHandler(httpApp.makeAppFromOptions(engine, { token: TOKEN }, "http"))
    overSocket = viaFetch(server.url)
    inProcess = viaHandler(handler, server.url)
    await Effect.runPromise(engine.seed(Array.from({ length: 7 }, (_, i) => ({ name: `item-${i}`, value: `v${i}` }))))
    versions.push((await Effect.runPromise(engine.setSecret("Mixed-Case", { value: "one", contentType: "text/plain", tags: { a: "b" } }))).version)
    versions.push((await Effect.runPromise(engine.setSecret("Mixed-Case", { value: "two", nbf: 1_700_000_000, exp: 4_000_000_000 }))).version)
    await Effect.runPromise(engine.setSecret("off", { value: "x", enabled: false }))
    await Effect.runPromise(engine.setSecret("pfx", { value: "MIIC", contentType: "application/x-pkcs12" }))
  })
  afterAll(() => server?.close())

  const auth = `Bearer ${TOKEN}`
  const cases: ReadonlyArray<readonly [string, string, { readonly auth?: string | null; readonly headers?: Record<string, string> }?]> = [
    ["latest version", `/secrets/mixed-case?${q("7.6")}`],
    ["a named version (upper-case id)", `/secrets/Mixed-Case/{v0}?${q("7.6")}`],
    ["7.0: no recoverableDays", `/secrets/mixed-case?${q("7.0")}`],
    ["2025-07-01: previousVersion", `/secrets/mixed-case?${q("2025-07-01")}`],
    ["percent-encoded name, repeated slashes", `//secrets/%6Dixed-case?${q("7.6")}`],
    ["client request id echoed", `/secrets/item-1?${q()}`, { headers: { "x-ms-client-request-id": "abc-123" } }],
    ["unknown secret → 404", `/secrets/nope?${q()}`],
    ["unknown version → 404", `/secrets/item-1/0123456789abcdef0123456789abcdef?${q()}`],
    ["invalid name → 400", `/secrets/bad_name?${q()}`],
    ["disabled → 403", `/secrets/off?${q()}`],
    ["outContentType on a non-PFX secret → 400", `/secrets/item-1?${q("2025-07-01")}&outContentType=application/x-pkcs12`],
    ["outContentType PEM → 400", `/secrets/pfx?${q("2025-07-01")}&outContentType=application/x-pem-file`],
    ["outContentType PFX → 200", `/secrets/pfx?${q("2025-07-01")}&outContentType=application/x-pkcs12`],
    ["no api-version → 400", `/secrets/item-1`],
    ["unknown api-version → 400", `/secrets/item-1?api-version=9.9`],
    ["no token → 401 challenge", `/secrets/item-1?${q()}`, { auth: null }],
    ["wrong token → 401", `/secrets/item-1?${q()}`, { auth: "Bearer wrong" }],
    ["listing, default page", `/secrets?${q()}`],
    ["listing, maxresults", `/secrets?${q()}&maxresults=3`],
    ["listing, maxresults out of range → 400", `/secrets?${q()}&maxresults=26`],
    ["listing, bad $skiptoken → 400", `/secrets?${q()}&$skiptoken=bm9wZQ`],
    ["not hot: trailing slash", `/secrets/item-1/?${q()}`],
    ["not hot: versions", `/secrets/mixed-case/versions?${q()}`]
  ]

  for (const [title, path, init] of cases) {
    it(title, async () => {
      const target = path.replace("{v0}", versions[0]!.toUpperCase())
      const options = { ...init, auth: init?.auth === undefined ? auth : init.auth }
      const [socket, effect] = await Promise.all([overSocket("GET", target, options), inProcess("GET", target, options)])
      expect(socket.status).toBe(effect.status)
      expect(socket.text).toBe(effect.text)
      expect(kvHeaders(socket)).toEqual(kvHeaders(effect))
      expect(socket.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    })
  }

  it("a listing followed page by page through nextLink gives the same pages", async () => {
    let link: string | null = `/secrets?${q()}&maxresults=2`
    let pages = 0
    while (link !== null) {
      const [socket, effect]: [Reply, Reply] = await Promise.all([overSocket("GET", link, { auth }), inProcess("GET", link, { auth })])
      expect(socket.status).toBe(200)
      expect(socket.text).toBe(effect.text)
      link = socket.json.nextLink === null ? null : (socket.json.nextLink as string).slice(server.url.length)
      pages++
    }
    expect(pages).toBe(5) // 7 items + Mixed-Case + off + pfx = 10 items, 2 a page
  })
})

describe("cached GET bodies follow every change of the secret", () => {
  // The socket server serves GETs from a JSON text cached per stored version; each step changes the secret
  // another way, then GETs it twice over the socket (the second a plain, cached answer) and compares with
  // the Effect path of another vault over the same engine (no cache shared) and with what the step did.
  const TOKEN = "cache-token"
  let server: Awaited<ReturnType<typeof Emulator.startServer>>
  let overSocket: Send
  let inProcess: Send
  beforeAll(async () => {
    server = await Emulator.startServer({ tls: false, token: TOKEN })
    overSocket = viaFetch(server.url)
    inProcess = viaHandler(HttpApp.toWebHandler(httpApp.makeAppFromOptions(server.engine, { token: TOKEN }, "http")), server.url)
  })
  afterAll(() => server?.close())
  const auth = `Bearer ${TOKEN}`
  const send = (method: string, path: string, body?: unknown) => overSocket(method, `${path}?${q("7.6")}`, { auth, body })
  const get = async (path: string) => {
    const first = await send("GET", path)
    const second = await send("GET", path)
    const effect = await inProcess("GET", `${path}?${q("7.6")}`, { auth })
    expect(second.text).toBe(first.text)
    expect(second.status).toBe(effect.status)
    expect(second.text).toBe(effect.text)
    return second
  }

  it("update, disable, enable, set, delete, recover, purge, re-create, restore", async () => {
    expect((await send("PUT", "/secrets/cached", { value: "one" })).status).toBe(200)
    const v1 = (await get("/secrets/cached")).json.id.split("/").pop() as string
    expect((await get("/secrets/cached")).json).toMatchObject({ value: "one", attributes: { enabled: true } })

    // PATCH the latest version: new content type and tags.
    expect((await send("PATCH", "/secrets/cached", { contentType: "text/new", tags: { t: "1" } })).status).toBe(200)
    expect((await get("/secrets/cached")).json).toMatchObject({ value: "one", contentType: "text/new", tags: { t: "1" } })
    expect((await get(`/secrets/cached/${v1}`)).json).toMatchObject({ contentType: "text/new", tags: { t: "1" } })

    // PATCH a named version: expiry set, then disabled (403), then enabled again with other tags.
    expect((await send("PATCH", `/secrets/cached/${v1}`, { attributes: { exp: 4_000_000_000 } })).status).toBe(200)
    expect((await get("/secrets/cached")).json.attributes.exp).toBe(4_000_000_000)
    expect((await send("PATCH", `/secrets/cached/${v1}`, { attributes: { enabled: false } })).status).toBe(200)
    expect((await get("/secrets/cached")).status).toBe(403)
    expect((await get(`/secrets/cached/${v1}`)).status).toBe(403)
    expect((await send("PATCH", `/secrets/cached/${v1}`, { attributes: { enabled: true, exp: null }, tags: { t: "2" } })).status).toBe(200)
    const enabled = (await get("/secrets/cached")).json
    expect(enabled).toMatchObject({ value: "one", tags: { t: "2" }, attributes: { enabled: true } })
    expect(enabled.attributes.exp).toBeUndefined()

    // A new version becomes the latest; the old one keeps its own body.
    expect((await send("PUT", "/secrets/cached", { value: "two" })).status).toBe(200)
    expect((await get("/secrets/cached")).json).toMatchObject({ value: "two" })
    expect((await get(`/secrets/cached/${v1}`)).json).toMatchObject({ value: "one", tags: { t: "2" } })

    // Deleted: 404; recovered: the same secret again.
    expect((await send("DELETE", "/secrets/cached")).status).toBe(200)
    expect((await get("/secrets/cached")).status).toBe(404)
    expect((await send("POST", "/deletedsecrets/cached/recover")).status).toBe(200)
    expect((await get("/secrets/cached")).json).toMatchObject({ value: "two" })

    // Backed up, deleted, purged: 404; re-created under another case: a new secret, new name in the id.
    const blob = (await send("POST", "/secrets/cached/backup")).json.value as string
    expect((await send("DELETE", "/secrets/cached")).status).toBe(200)
    expect((await send("DELETE", "/deletedsecrets/cached")).status).toBe(204)
    expect((await get("/secrets/cached")).status).toBe(404)
    expect((await get(`/secrets/cached/${v1}`)).status).toBe(404)
    expect((await send("PUT", "/secrets/CACHED", { value: "three" })).status).toBe(200)
    const recreated = (await get("/secrets/cached")).json
    expect(recreated).toMatchObject({ value: "three" })
    expect(recreated.id).toContain("/secrets/CACHED/")

    // Purged again and restored from the backup: the backed-up versions, under the backed-up name.
    expect((await send("DELETE", "/secrets/cached")).status).toBe(200)
    expect((await send("DELETE", "/deletedsecrets/cached")).status).toBe(204)
    expect((await send("POST", "/secrets/restore", { value: blob })).status).toBe(200)
    const restored = (await get("/secrets/cached")).json
    expect(restored).toMatchObject({ value: "two" })
    expect(restored.id).toContain("/secrets/cached/")
    expect((await get(`/secrets/cached/${v1}`)).json).toMatchObject({ value: "one", tags: { t: "2" } })
  })

  it("the same stored version restored from a snapshot under another name gets its own body", async () => {
    const engine = server.engine
    await Effect.runPromise(engine.setSecret("snap-a", { value: "s" }))
    const first = (await get("/secrets/snap-a")).json
    const snapshot = await Effect.runPromise(engine.snapshot)
    // The same stored version objects, now under another name.
    await Effect.runPromise(engine.restoreSnapshot({
      ...snapshot,
      secrets: snapshot.secrets.map((s) => s.name === "snap-a" ? { ...s, name: "snap-b" } : s)
    }))
    expect((await get("/secrets/snap-a")).status).toBe(404)
    const renamed = (await get("/secrets/snap-b")).json
    expect(renamed.value).toBe("s")
    expect(renamed.id).toBe(first.id.replace("/snap-a/", "/snap-b/"))
  })
})

describe("plain GETs: the shortest way answers exactly as the ordinary one", () => {
  const make = (token: string | undefined) =>
    Effect.gen(function*() {
      const engine = yield* VaultEngine.make()
      yield* engine.setSecret("plain", { value: "p", contentType: "text/plain", tags: { k: "v" } })
      const vault = httpApp.makeVault({ ...httpApp.configFromOptions(engine, { token }, "https"), liveClock: true })
      return { engine, vault }
    })
  const toRequest = (url: string, raw: ReadonlyArray<string>): httpApp.VaultRequest => {
    const headers: Record<string, string> = {}
    for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!
    return { method: "GET", url, headers, body: () => Effect.succeed("") }
  }
  const withoutId = (headers: ReadonlyArray<string>) => headers.filter((_, i) => headers[i - 1] !== "x-ms-request-id")

  it.effect("answered the shortest way: body and headers (in order) as answerSync's", () =>
    Effect.gen(function*() {
      const { engine, vault } = yield* make("tok")
      const version = (yield* engine.getSecret("plain")).version
      const raw = ["Host", "vault.local:8443", "Authorization", "Bearer tok", "X-MS-Client-Request-Id", "cid-1"]
      // A Host is taken the shortest way once the ordinary way has validated it.
      expect(vault.answerPlainGet!("GET", `/secrets/plain?${q("7.6")}`, raw)).toBeUndefined()
      vault.answerSync!(toRequest(`/secrets/plain?${q("7.6")}`, raw))
      for (const url of [`/secrets/plain?${q("7.6")}`, `/secrets/plain/${version}?${q("7.0")}`, `/secrets/PLAIN?${q("2025-07-01")}`]) {
        const plain = vault.answerPlainGet!("GET", url, raw)!
        const ordinary = vault.answerSync!(toRequest(url, raw))!
        expect(plain, url).toBeDefined()
        expect(plain.body).toBe(ordinary.body)
        const list = Object.entries(ordinary.headers).flat()
        list.push("content-type", httpApp.JSON_CONTENT_TYPE, "content-length", String(Buffer.byteLength(ordinary.body!)))
        expect(withoutId(plain.headers)).toEqual(withoutId(list))
        expect(plain.headers[plain.headers.indexOf("x-ms-request-id") + 1]).toBe(plain.requestId)
      }
    }))

  it.effect("anything else is left to the ordinary way", () =>
    Effect.gen(function*() {
      const { vault } = yield* make("tok")
      const raw = ["host", "vault.local", "authorization", "Bearer tok"]
      vault.answerSync!(toRequest(`/secrets/plain?${q("7.6")}`, raw))
      const url = `/secrets/plain?${q("7.6")}`
      expect(vault.answerPlainGet!("GET", url, raw)).toBeDefined()
      const left: ReadonlyArray<readonly [string, string, ReadonlyArray<string>]> = [
        ["HEAD", url, raw],
        ["GET", `/Secrets/plain?${q("7.6")}`, raw],
        ["GET", `/secrets/%70lain?${q("7.6")}`, raw],
        ["GET", `//secrets/plain?${q("7.6")}`, raw],
        ["GET", `/secrets/plain/?${q("7.6")}`, raw],
        ["GET", `/secrets/plain/versions?${q("7.6")}`, raw],
        ["GET", `/secrets/plain/Backup?${q("7.6")}`, raw],
        ["GET", `/secrets/plain/a/b?${q("7.6")}`, raw],
        ["GET", `/secrets/plain?${q("7.6")}&outContentType=application/x-pkcs12`, raw],
        ["GET", `/secrets/plain?maxresults=1&${q("7.6")}`, raw],
        ["GET", `/secrets/plain?${q("9.9")}`, raw],
        ["GET", "/secrets/plain", raw],
        ["GET", `/secrets/missing?${q("7.6")}`, raw],
        ["GET", `/secrets/bad_name?${q("7.6")}`, raw],
        ["GET", url, ["host", "other.local", "authorization", "Bearer tok"]],
        ["GET", url, ["host", "vault.local"]],
        ["GET", url, ["authorization", "Bearer tok"]],
        ["GET", url, ["host", "vault.local", "authorization", "bearer tok"]],
        ["GET", url, ["host", "vault.local", "authorization", "Bearer wrong"]],
        ["GET", url, [...raw, "Authorization", "Bearer tok"]],
        ["GET", url, [...raw, "Host", "vault.local"]],
        ["GET", url, [...raw, "x-ms-client-request-id", "a", "x-ms-client-request-id", "b"]]
      ]
      for (const [method, target, headers] of left) {
        expect(vault.answerPlainGet!(method, target, headers), `${method} ${target} ${headers.join(",")}`).toBeUndefined()
      }
    }))

  it.effect("without a configured token any Bearer token is taken, as the ordinary way takes it", () =>
    Effect.gen(function*() {
      const { vault } = yield* make(undefined)
      const url = `/secrets/plain?${q("7.6")}`
      vault.answerSync!(toRequest(url, ["host", "h", "authorization", "Bearer x"]))
      expect(vault.answerPlainGet!("GET", url, ["host", "h", "authorization", "bearer anything"])).toBeDefined()
      expect(vault.answerPlainGet!("GET", url, ["host", "h", "authorization", "Bearer"])).toBeUndefined()
      expect(vault.answerPlainGet!("GET", url, ["host", "h", "authorization", "Basic x"])).toBeUndefined()
    }))

  it.effect("a token with whitespace in it is left to the ordinary way (which never accepts a leading one)", () =>
    Effect.gen(function*() {
      const { vault } = yield* make(" a")
      const url = `/secrets/plain?${q("7.6")}`
      const raw = ["host", "h", "authorization", "Bearer  a"]
      expect(vault.answerSync!(toRequest(url, raw))!.status).toBe(401)
      expect(vault.answerPlainGet!("GET", url, raw)).toBeUndefined()
    }))
})

describe("the engine's synchronous reads", () => {
  it.effect("answer like the Effect reads; with persistence, a read whose sweep purged is left to the Effect path", () =>
    Effect.gen(function*() {
      const plain = yield* VaultEngine.make({ recoverableDays: 7 })
      yield* plain.setSecret("a", { value: "1" })
      const reads = VaultEngine.syncReads(plain)!
      const now = Date.now()
      expect(reads.getSecret("a", "", now)).toEqual(yield* plain.getSecret("a"))
      expect(reads.getSecret("missing", "", now)).toBeInstanceOf(VaultEngine.VaultError)
      expect(reads.listSecretsPage(undefined, 25, now)).toEqual(yield* plain.listSecretsPage(undefined, 25))

      const saves: Array<VaultEngine.Snapshot> = []
      const persisted = yield* VaultEngine.make({ recoverableDays: 7, persist: (s) => Promise.resolve(void saves.push(s)) })
      yield* persisted.setSecret("gone", { value: "1" })
      yield* persisted.setSecret("kept", { value: "2" })
      yield* persisted.deleteSecret("gone")
      const sync = VaultEngine.syncReads(persisted)!
      const afterPurgeDate = Date.now() + 8 * 86_400_000
      const saved = saves.length
      // The first read past the scheduled purge date purges "gone": that change must be saved first.
      expect(sync.getSecret("kept", "", afterPurgeDate)).toBeUndefined()
      // Nothing left to purge: answered synchronously.
      expect(sync.getSecret("kept", "", afterPurgeDate)).toMatchObject({ name: "kept", value: "2" })
      expect(saves.length).toBe(saved)
    }))
})

describe("the request log on the socket server", () => {
  it("a client that goes away before the answer is logged once, without a status", async () => {
    const entries: Array<Emulator.RequestLogEntry> = []
    const server = await Emulator.startServer({ tls: false, token: "t", onRequest: (e) => entries.push(e) })
    try {
      const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1")
      await new Promise((resolve) => socket.once("connect", resolve))
      // A body announced but never sent: the answer waits for it, then the client leaves.
      socket.write(`PUT /secrets/left?${q()} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"va`)
      await new Promise((resolve) => setTimeout(resolve, 100))
      socket.destroy()
      // (Node's parser also reports the cut-off body as a client error: that line names no request, "-".)
      const put = () => entries.filter((e) => e.method === "PUT")
      for (let i = 0; i < 100 && put().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(put(), JSON.stringify(entries)).toHaveLength(1)
      expect(put()[0]).toMatchObject({ method: "PUT", path: "/secrets/left", status: undefined, requestId: undefined })
      // The server still answers.
      expect((await viaFetch(server.url)("GET", `/secrets?${q()}`, { auth: "Bearer t" })).status).toBe(200)
    } finally {
      await server.close()
    }
  })
})
