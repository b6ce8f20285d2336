/**
 * The undici transport against real loopback servers: bodies read once in any form, streaming, abort on
 * timeout and interruption (seen by the server as a closed socket), unread bodies freed, TLS, proxies, errors.
 */
import { assert, describe, it } from "@effect/vitest"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Chunk, Deferred, Effect, Exit, Fiber, Stream } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as net from "node:net"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { Agent, interceptors, ProxyAgent } from "undici"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { Credential, SecretClient } from "../src/index.js"

interface Server {
  readonly url: string
  /** Resolves once per request whose socket closed before the response ended. */
  readonly aborted: Deferred.Deferred<void>
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>
}

const serve = (handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) =>
  Effect.acquireRelease(
    Effect.async<Server & { server: http.Server }>((resume) => {
      const aborted = Effect.runSync(Deferred.make<void>())
      const requests: Server["requests"] = []
      const server = http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8")
          requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
          res.on("close", () => {
            if (!res.writableFinished) Effect.runSync(Deferred.succeed(aborted, void 0))
          })
          handler(req, res, body)
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          aborted,
          requests,
          server
        })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const scopedAgent = (options?: Agent.Options) =>
  Effect.acquireRelease(Effect.sync(() => new Agent(options)), (a) => Effect.promise(() => a.destroy()))

const json = { hello: "wörld", n: [1, 2, 3] }
const big = (bytes: number) => Buffer.alloc(bytes, "x")

describe("UndiciHttpClient", () => {
  it.scoped("text, json and arrayBuffer read the body once, in any order, any number of times", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/json", "x-a": "1", "set-cookie": ["a=1", "b=2"] })
        res.end(JSON.stringify(json))
      })
      const client = UndiciHttpClient.make(yield* scopedAgent())
      const res = yield* client.get(`${server.url}/x?y=1`)
      assert.strictEqual(res.status, 200)
      assert.strictEqual(res.headers["x-a"], "1")
      assert.deepStrictEqual(Object.keys(res.cookies.cookies).sort(), ["a", "b"])
      assert.deepStrictEqual(yield* res.json, json)
      assert.strictEqual(yield* res.text, JSON.stringify(json))
      const ab = yield* res.arrayBuffer
      assert.strictEqual(Buffer.from(ab).toString("utf8"), JSON.stringify(json))
      assert.deepStrictEqual(yield* res.json, json)
      // After a buffered read, the stream replays the buffer.
      const streamed = yield* Stream.runCollect(res.stream)
      assert.strictEqual(Buffer.concat(Chunk.toArray(streamed)).toString("utf8"), JSON.stringify(json))
      assert.strictEqual(server.requests[0]!.url, "/x?y=1")
    }))

  it.scoped("keeps connections alive: 20 sequential requests reuse their sockets", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => res.writeHead(200, { "content-type": "text/plain" }).end("ok"))
      let connections = 0
      server.server.on("connection", () => connections++)
      const client = UndiciHttpClient.make(yield* scopedAgent())
      for (let i = 0; i < 20; i++) assert.strictEqual(yield* Effect.flatMap(client.get(server.url), (r) => r.text), "ok")
      // undici itself (raw `request` + `body.bytes()`) opens a second socket while the first is released.
      assert.isAtMost(connections, 2)
    }))

  it.scoped("streams a large body; a buffered read after streaming is a typed ResponseError", () =>
    Effect.gen(function*() {
      const size = 3 * 1024 * 1024
      const server = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/octet-stream" })
        // Several writes: the client sees many chunks.
        for (let i = 0; i < 6; i++) res.write(big(size / 6))
        res.end()
      })
      const client = UndiciHttpClient.make(yield* scopedAgent())
      const res = yield* client.get(server.url)
      const total = yield* Stream.runFold(res.stream, 0, (n, chunk) => n + chunk.length)
      assert.strictEqual(total, size)
      const again = yield* Effect.flip(res.text)
      assert.strictEqual(again._tag, "ResponseError")
      assert.strictEqual(again.reason, "Decode")
    }))

  it.scoped("request bodies: bytes, text and a Stream", () =>
    Effect.gen(function*() {
      const server = yield* serve((req, res, body) => {
        res.writeHead(200, { "content-type": "text/plain" })
        res.end(`${req.method} ${req.headers["content-type"]} ${body}`)
      })
      const client = UndiciHttpClient.make(yield* scopedAgent())
      const text = (req: HttpClientRequest.HttpClientRequest) => Effect.flatMap(client.execute(req), (r) => r.text)
      assert.strictEqual(
        yield* text(HttpClientRequest.put(server.url).pipe(HttpClientRequest.bodyText("abc", "text/plain"))),
        "PUT text/plain abc"
      )
      assert.strictEqual(
        yield* text(HttpClientRequest.post(server.url).pipe(HttpClientRequest.setBody(
          HttpBody.stream(Stream.make(new TextEncoder().encode("st"), new TextEncoder().encode("ream")), "text/x-stream")
        ))),
        "POST text/x-stream stream"
      )
    }))

  it.live("a timeout aborts the request: the server sees the socket close", () =>
    Effect.gen(function*() {
      const server = yield* serve(() => {
        // never answers
      })
      const client = UndiciHttpClient.make(yield* scopedAgent())
      const exit = yield* Effect.exit(client.get(server.url).pipe(Effect.timeout("200 millis")))
      assert.isTrue(Exit.isFailure(exit))
      // The abort reaches the server (a request that is only forgotten would stay open).
      yield* Deferred.await(server.aborted).pipe(Effect.timeout("5 seconds"))
    }).pipe(Effect.scoped))

  it.live("interrupting a body read aborts it", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.write("{\"partial\":") // and stall
      })
      const client = UndiciHttpClient.make(yield* scopedAgent())
      const res = yield* client.get(server.url)
      const fiber = yield* Effect.fork(res.text)
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(server.aborted).pipe(Effect.timeout("5 seconds"))
    }).pipe(Effect.scoped))

  it.live("a response dropped unread does not hold its connection forever", () =>
    Effect.gen(function*() {
      v8.setFlagsFromString("--expose-gc")
      const gc = vm.runInNewContext("gc") as () => void
      const server = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/octet-stream" })
        // Larger than undici's buffers: the connection stays busy until the body is consumed or destroyed.
        res.end(big(4 * 1024 * 1024))
      })
      // One connection: a second request can only go out once the first body is dealt with.
      const client = UndiciHttpClient.make(yield* scopedAgent({ connections: 1, pipelining: 1 }))
      yield* Effect.promise(() => Effect.runPromise(Effect.asVoid(client.get(`${server.url}/unread`))))
      const second = yield* Effect.fork(client.get(`${server.url}/second`).pipe(Effect.flatMap((r) => r.arrayBuffer)))
      for (let i = 0; i < 50 && second.unsafePoll() === null; i++) {
        gc()
        yield* Effect.sleep("50 millis")
      }
      const body = yield* Fiber.join(second).pipe(Effect.timeout("10 seconds"))
      assert.strictEqual(body.byteLength, 4 * 1024 * 1024)
    }).pipe(Effect.scoped))

  it.scoped("errors keep the platform's shapes: RequestError (Transport, InvalidUrl), ResponseError (Decode)", () =>
    Effect.gen(function*() {
      const server = yield* serve((req, res) => {
        if (req.url === "/reset") return req.socket.destroy()
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{not json")
      })
      const client = UndiciHttpClient.make(yield* scopedAgent())
      const reset = yield* Effect.flip(client.get(`${server.url}/reset`))
      assert.strictEqual(reset._tag, "RequestError")
      if (reset._tag === "RequestError") assert.strictEqual(reset.reason, "Transport")
      const invalid = yield* Effect.flip(client.get("not a url"))
      assert.strictEqual(invalid._tag, "RequestError")
      if (invalid._tag === "RequestError") assert.strictEqual(invalid.reason, "InvalidUrl")
      const res = yield* client.get(`${server.url}/bad-json`)
      const decode = yield* Effect.flip(res.json)
      assert.strictEqual(decode._tag, "ResponseError")
      assert.strictEqual(decode.reason, "Decode")
      assert.strictEqual(decode.response.status, 200)
      // A header undici refuses (CR/LF injection) fails the request, typed, without sending it.
      const injected = yield* Effect.flip(client.execute(
        HttpClientRequest.get(`${server.url}/x`).pipe(HttpClientRequest.setHeader("x-bad", "a\r\nInjected: 1"))
      ))
      assert.strictEqual(injected._tag, "RequestError")
      // Refused connection.
      const closed = yield* Effect.flip(client.get("http://127.0.0.1:1/"))
      assert.strictEqual(closed._tag, "RequestError")
    }))

  it.scoped("never follows a redirect, even on a dispatcher composed with undici's redirect interceptor", () =>
    Effect.gen(function*() {
      const server = yield* serve((req, res) => {
        if (req.url === "/elsewhere") {
          res.writeHead(200, { "content-type": "application/json" })
          return res.end("{}")
        }
        res.writeHead(307, { location: "/elsewhere" })
        res.end()
      })
      const agent = yield* scopedAgent()
      const client = UndiciHttpClient.make(agent.compose(interceptors.redirect({ maxRedirections: 3 })))
      const res = yield* client.execute(
        HttpClientRequest.post(`${server.url}/secrets/n`).pipe(
          HttpClientRequest.setHeader("authorization", "Bearer t"),
          HttpClientRequest.bodyText("value")
        )
      )
      assert.strictEqual(res.status, 307)
      assert.deepStrictEqual(server.requests.map((r) => r.url), ["/secrets/n"]) // the token and body went nowhere else
    }))

  it.scoped("proxies through the dispatcher (HTTP CONNECT via ProxyAgent)", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "text/plain" })
        res.end("via proxy")
      })
      const tunnels: Array<string> = []
      const proxy = yield* Effect.acquireRelease(
        Effect.async<{ url: string; proxy: http.Server }>((resume) => {
          const proxy = http.createServer((_, res) => res.writeHead(405).end())
          proxy.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
            tunnels.push(req.url ?? "")
            const [host, port] = (req.url ?? "").split(":")
            const upstream = net.connect(Number(port), host, () => {
              client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
              upstream.write(head)
              upstream.pipe(client)
              client.pipe(upstream)
            })
            upstream.on("error", () => client.destroy())
            client.on("error", () => upstream.destroy())
          })
          proxy.listen(0, "127.0.0.1", () =>
            resume(Effect.succeed({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, proxy })))
        }),
        ({ proxy }) =>
          Effect.async<void>((resume) => {
            proxy.closeAllConnections()
            proxy.close(() => resume(Effect.void))
          })
      )
      const dispatcher = yield* Effect.acquireRelease(
        Effect.sync(() => new ProxyAgent(proxy.url)),
        (a) => Effect.promise(() => a.destroy())
      )
      const text = yield* HttpClient.get(`${server.url}/through`).pipe(
        Effect.flatMap((r) => r.text),
        Effect.provide(UndiciHttpClient.layerWithDispatcher(dispatcher))
      )
      assert.strictEqual(text, "via proxy")
      assert.deepStrictEqual(tunnels, [new URL(server.url).host])
    }))

  it.scoped("the SDK's path sends what a URL parser would: non-ASCII encoded, dot segments resolved (the path it checked)", () =>
    Effect.gen(function*() {
      const server = yield* serve((req, res) => {
        if (req.headers["authorization"] === undefined) {
          res.writeHead(401, {
            "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net"`
          }).end()
          return
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
      const agent = yield* scopedAgent()
      const client = yield* SecretClient.make({ vaultUrl: server.url, allowInsecureLoopback: true, verifyChallengeResource: false }).pipe(
        Effect.provideService(HttpClient.HttpClient, UndiciHttpClient.make(agent)),
        Effect.provide(Credential.layerStatic("t"))
      )
      for (const path of ["/secrets/ä", "/secrets/a/../b", "/secrets/q\"x"]) {
        const res = yield* client.sendRequest(HttpClientRequest.get(path))
        assert.strictEqual(res.status, 200, path)
      }
      const sent = server.requests.filter((r) => r.headers["authorization"] !== undefined).map((r) => r.url)
      assert.deepStrictEqual(sent, [
        "/secrets/%C3%A4?api-version=2026-04-01",
        "/secrets/b?api-version=2026-04-01",
        "/secrets/q%22x?api-version=2026-04-01"
      ])
    }))

  it.scoped("tracing: true adds the platform's per-attempt span and traceparent; the default sends neither", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => res.writeHead(204).end())
      const agent = yield* scopedAgent()
      yield* Effect.flatMap(UndiciHttpClient.make(agent).get(server.url), (r) => r.text).pipe(Effect.withSpan("op"))
      yield* Effect.flatMap(UndiciHttpClient.make(agent, { tracing: true }).get(server.url), (r) => r.text).pipe(
        Effect.withSpan("op")
      )
      assert.isUndefined(server.requests[0]!.headers["traceparent"])
      assert.match(String(server.requests[1]!.headers["traceparent"]), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
    }))
})
