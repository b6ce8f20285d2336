/**
 * The socket server's edges: requests Node's HTTP parser rejects before any app runs (each must get a Key
 * Vault-shaped JSON error, not an empty body or a closed socket), the health route and the request log.
 * Raw sockets, because fetch/undici cannot send most of these requests.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as net from "node:net"
import * as tls from "node:tls"
import { Emulator } from "../src/index.js"
import { q, viaFetch, viaHttps } from "./utils.js"

interface RawReply {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

// Sends bytes as-is and reads until the server closes the connection (every rejection closes it).
const raw = (connect: () => net.Socket, request: string | Buffer): Promise<RawReply> =>
  new Promise((resolve, reject) => {
    const socket = connect()
    const chunks: Array<Buffer> = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete answer within 20 s; got: ${Buffer.concat(chunks).toString("latin1")}`))
    }, 20_000)
    socket.on("data", (c: Buffer) => chunks.push(c))
    socket.on("error", () => undefined) // a reset after the answer is fine; the answer is checked below
    socket.on("close", () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString("utf8")
      const split = text.indexOf("\r\n\r\n")
      if (split === -1) return reject(new Error(`no HTTP response, got ${JSON.stringify(text)}`))
      const [statusLine, ...headerLines] = text.slice(0, split).split("\r\n")
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const i = line.indexOf(":")
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
      }
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, body: text.slice(split + 4) })
    })
    socket.write(request)
  })

const expectKeyVaultError = (reply: RawReply, status: number, code: string) => {
  expect(reply.status).toBe(status)
  expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8")
  expect(Number(reply.headers["content-length"])).toBe(Buffer.byteLength(reply.body))
  expect(reply.headers["x-ms-request-id"]).toMatch(/^[0-9a-f-]{36}$/)
  const json = JSON.parse(reply.body)
  expect(json.error.code).toBe(code)
  expect(typeof json.error.message).toBe("string")
  expect(json.error.message.length).toBeGreaterThan(0)
}

describe("requests Node's HTTP parser rejects get Key Vault-shaped JSON errors", () => {
  let server: Awaited<ReturnType<typeof Emulator.startServer>>
  let port: number
  beforeAll(async () => {
    server = await Emulator.startServer({ tls: false })
    port = Number(new URL(server.url).port)
  })
  afterAll(() => server?.close())
  const plain = () => net.connect(port, "127.0.0.1")

  it("lower-case method → 400 BadParameter", async () => {
    const reply = await raw(plain, `get /secrets?${q()} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n\r\n`)
    expectKeyVaultError(reply, 400, "BadParameter")
  })

  it("unknown method → 400 BadParameter", async () => {
    const reply = await raw(plain, `FROB /secrets?${q()} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
    expectKeyVaultError(reply, 400, "BadParameter")
  })

  it("20 KB header → 431, and the header's bytes are not echoed", async () => {
    const marker = "tokenmarker".repeat(2000)
    const reply = await raw(plain, `GET /secrets?${q()} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${marker}\r\n\r\n`)
    expectKeyVaultError(reply, 431, "RequestHeaderFieldsTooLarge")
    expect(reply.body).not.toContain("tokenmarker")
  })

  it("Expect: x → 417 ExpectationFailed", async () => {
    const reply = await raw(
      plain,
      `PUT /secrets/a?${q()} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\nExpect: x\r\nContent-Length: 2\r\n\r\n{}`
    )
    expectKeyVaultError(reply, 417, "ExpectationFailed")
  })

  it("CONNECT → 405 MethodNotAllowed", async () => {
    const reply = await raw(plain, `CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n`)
    expectKeyVaultError(reply, 405, "MethodNotAllowed")
  })

  it("malformed framing (bad Content-Length) → 400 BadParameter", async () => {
    const reply = await raw(plain, `PUT /secrets/a?${q()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nope\r\n\r\n`)
    expectKeyVaultError(reply, 400, "BadParameter")
  })

  it("HTTP/1.1 without Host → 400 BadParameter", async () => {
    const reply = await raw(plain, `GET /secrets?${q()} HTTP/1.1\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n`)
    expectKeyVaultError(reply, 400, "BadParameter")
  })

  it("the server still serves normal requests afterwards", async () => {
    const send = viaFetch(server.url)
    expect((await send("PUT", `/secrets/after?${q()}`, { body: { value: "v" } })).status).toBe(200)
    expect((await send("GET", `/secrets/after?${q()}`)).json.value).toBe("v")
  })
})

describe("the same over HTTPS", () => {
  let server: Awaited<ReturnType<typeof Emulator.startServer>>
  beforeAll(async () => {
    server = await Emulator.startServer({ tls: true })
  })
  afterAll(() => server?.close())
  const secure = () =>
    tls.connect({ host: "127.0.0.1", port: Number(new URL(server.url).port), ca: server.certificatePem!, servername: "localhost" })

  it("lower-case method → 400 JSON; CONNECT → 405 JSON", async () => {
    expectKeyVaultError(await raw(secure, `get /secrets?${q()} HTTP/1.1\r\nHost: localhost\r\n\r\n`), 400, "BadParameter")
    expectKeyVaultError(await raw(secure, `CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n`), 405, "MethodNotAllowed")
    const reply = await raw(secure, `GET / HTTP/1.1\r\nHost: localhost\r\nExpect: x\r\n\r\n`)
    expectKeyVaultError(reply, 417, "ExpectationFailed")
    expect(reply.headers["strict-transport-security"]).toBeDefined()
  })
})

describe("health route and request log", () => {
  const entries: Array<Emulator.RequestLogEntry> = []
  let server: Awaited<ReturnType<typeof Emulator.startServer>>
  beforeAll(async () => {
    server = await Emulator.startServer({
      tls: true,
      token: "token-marker-7f3a",
      healthPath: "/healthz",
      onRequest: (e) => entries.push(e)
    })
  })
  afterAll(() => server?.close())

  it("GET /healthz → 200 JSON without a token; other paths still need one", async () => {
    const send = viaHttps(server.url, server.certificatePem!)
    const health = await send("GET", "/healthz", { auth: null })
    expect(health.status).toBe(200)
    expect(health.json).toEqual({ status: "ok" })
    expect(health.headers.get("content-type")).toBe("application/json; charset=utf-8")
    expect((await send("GET", "/healthz/x", { auth: null })).status).toBe(401)
    expect((await send("POST", "/healthz", { auth: null })).status).toBe(401)
  })

  it("one entry per request with method, path, status, duration and request id; no value, token or query", async () => {
    entries.length = 0
    const send = viaHttps(server.url, server.certificatePem!)
    const put = await send("PUT", `/secrets/logged?${q()}&marker=query-marker`, {
      body: { value: "value-marker-91bd" },
      auth: "Bearer token-marker-7f3a"
    })
    expect(put.status).toBe(200)
    const wrong = await send("GET", `/secrets/logged?${q()}`, { auth: "Bearer wrong-token-marker" })
    expect(wrong.status).toBe(401)
    // A plain GET (answered the shortest way) is logged like the rest.
    const get = await send("GET", `/secrets/logged?${q()}`, { auth: "Bearer token-marker-7f3a" })
    expect(get.status).toBe(200)
    // The entry is written when the answer is sent; give the last one a moment on a loaded machine.
    for (let i = 0; i < 100 && entries.length < 3; i++) await new Promise((r) => setTimeout(r, 20))
    expect(entries).toHaveLength(3)
    expect(entries[0]).toMatchObject({ method: "PUT", path: "/secrets/logged", status: 200, requestId: put.headers.get("x-ms-request-id") })
    expect(entries[1]).toMatchObject({ method: "GET", path: "/secrets/logged", status: 401 })
    expect(entries[2]).toMatchObject({ method: "GET", path: "/secrets/logged", status: 200, requestId: get.headers.get("x-ms-request-id") })
    expect(entries[0]!.durationMs).toBeGreaterThanOrEqual(0)
    const logged = JSON.stringify(entries)
    for (const marker of ["value-marker-91bd", "token-marker-7f3a", "wrong-token-marker", "query-marker"]) {
      expect(logged).not.toContain(marker)
    }
  })

  it("rejections before the app are logged too, naming nothing of an unparsed request", async () => {
    entries.length = 0
    const secure = () =>
      tls.connect({ host: "127.0.0.1", port: Number(new URL(server.url).port), ca: server.certificatePem!, servername: "localhost" })
    const bad = await raw(secure, `get /secrets/token-marker-7f3a HTTP/1.1\r\nHost: localhost\r\n\r\n`)
    const connect = await raw(secure, `CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n`)
    const expectX = await raw(secure, `GET /secrets HTTP/1.1\r\nHost: localhost\r\nExpect: x\r\n\r\n`)
    expect(entries).toEqual([
      { method: "-", path: "-", status: 400, durationMs: 0, requestId: bad.headers["x-ms-request-id"] },
      { method: "CONNECT", path: "127.0.0.1:1", status: 405, durationMs: 0, requestId: connect.headers["x-ms-request-id"] },
      { method: "GET", path: "/secrets", status: 417, durationMs: 0, requestId: expectX.headers["x-ms-request-id"] }
    ])
  })
})
