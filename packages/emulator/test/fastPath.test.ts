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
