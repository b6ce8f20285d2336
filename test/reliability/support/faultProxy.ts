/**
 * A real loopback HTTP proxy that injects faults between a client and an upstream (the emulator):
 * throttling with Retry-After, 5xx before and after the upstream applied the request, connection resets
 * mid-request and mid-response, latency, truncated and malformed bodies, and stalled headers.
 *
 * The Host header is passed through, so the emulator mints ids and nextLinks on the proxy's origin, as a
 * reverse proxy in front of the service would.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type { Socket } from "node:net"

export const faults = [
  "none",
  /** 429 with `Retry-After` (seconds) or `retry-after-ms`; never forwarded. */
  "throttle",
  /** 500/503 without forwarding (some 503s with `retry-after-ms`): the server never saw the request. */
  "error-before",
  /** Forwarded (the server applied it), then the answer is replaced by 500/503. */
  "error-after",
  /** The socket is destroyed while the request is still being received; never forwarded. */
  "reset-request",
  /** Forwarded, then the socket is destroyed right after the response head. */
  "reset-response",
  /** Forwarded after a delay. */
  "latency",
  /** Forwarded; the head promises the full body, half of it is sent, then the connection ends. */
  "truncated",
  /** Forwarded; the body is replaced by a well-framed body that is not the expected JSON. */
  "malformed",
  /** Never forwarded, never answered: the client's timeout must fire. */
  "stall",
  /** Forwarded; the head and half the body are sent, then nothing more: the client's timeout must fire. */
  "stall-body"
] as const

export type Fault = typeof faults[number]

/** Faults whose request reached the upstream (so a write may have been applied). */
export const forwarded: ReadonlySet<Fault> = new Set([
  "none",
  "error-after",
  "reset-response",
  "latency",
  "truncated",
  "malformed",
  "stall-body"
])

export interface RetryGap {
  /** What the 429 (or 503) asked for. */
  readonly advisedMs: number
  /** From the 429 leaving the proxy to the same request (same x-ms-client-request-id) arriving again. */
  readonly gapMs: number
  /** The `x-fault-id` header of the answer, so the client side can tell which ones it actually read. */
  readonly faultId: string
}

export interface FaultProxy {
  readonly url: string
  /** How often each fault was injected. */
  readonly counts: Record<Fault, number>
  readonly retryGaps: ReadonlyArray<RetryGap>
  /** For each stalled request the client gave up on: ms from its arrival to the client closing the connection. */
  readonly stallsAbandonedAfter: ReadonlyArray<number>
  /** 429s whose request never came back (the client gave up, or the run ended). */
  readonly unansweredThrottles: () => number
  readonly close: () => Promise<void>
}

export interface FaultProxyOptions {
  /** Where requests are forwarded, e.g. "http://127.0.0.1:1234". */
  readonly upstream: string
  /** Which fault to inject for one request. */
  readonly choose: (request: http.IncomingMessage) => Fault
  /** Source of randomness for fault details (delays, Retry-After values, variants). */
  readonly random?: () => number
}

const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message } })

const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"])

export const start = (options: FaultProxyOptions): Promise<FaultProxy> => {
  const upstream = new URL(options.upstream)
  const random = options.random ?? Math.random
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const counts = Object.fromEntries(faults.map((f) => [f, 0])) as Record<Fault, number>
  const retryGaps: Array<RetryGap> = []
  const pending429 = new Map<string, { readonly at: number; readonly advisedMs: number; readonly faultId: string }>()
  let nextFaultId = 0
  const sockets = new Set<Socket>()
  const stallsAbandonedAfter: Array<number> = []

  const forward = (req: http.IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {}
      for (const [k, v] of Object.entries(req.headers)) if (!hopByHop.has(k) && v !== undefined) headers[k] = v
      headers["content-length"] = String(body.length)
      const out = http.request({
        agent,
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers
      }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on("error", reject)
      })
      out.on("error", reject)
      out.end(body)
    })

  const responseHeaders = (headers: http.IncomingHttpHeaders, body: Buffer): http.OutgoingHttpHeaders => {
    const out: http.OutgoingHttpHeaders = {}
    for (const [k, v] of Object.entries(headers)) if (!hopByHop.has(k) && v !== undefined) out[k] = v
    out["content-length"] = String(body.length)
    return out
  }

  const sendJson = (res: http.ServerResponse, status: number, headers: Record<string, string>, body: string) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), ...headers })
    res.end(body)
  }

  /** An answer with a wait (`Retry-After` in seconds or `retry-after-ms`), tagged for the gap measurement. */
  const advise = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    advisedMs: number,
    inSeconds: boolean,
    code: string,
    message: string
  ) => {
    const faultId = String(nextFaultId++)
    const wait: Record<string, string> = inSeconds
      ? { "retry-after": String(advisedMs / 1000) }
      : { "retry-after-ms": String(advisedMs) }
    sendJson(res, status, { "x-fault-id": faultId, ...wait }, errorBody(code, message))
    // Recorded once the answer has left, so the measured gap includes the client's receive time.
    const requestId = req.headers["x-ms-client-request-id"]
    if (typeof requestId === "string") pending429.set(requestId, { at: performance.now(), advisedMs, faultId })
  }

  const server = http.createServer((req, res) => {
    const requestId = req.headers["x-ms-client-request-id"]
    if (typeof requestId === "string") {
      const throttled = pending429.get(requestId)
      if (throttled !== undefined) {
        pending429.delete(requestId)
        retryGaps.push({ advisedMs: throttled.advisedMs, gapMs: performance.now() - throttled.at, faultId: throttled.faultId })
      }
    }
    const fault = options.choose(req)
    counts[fault]++
    if (fault === "stall" || fault === "stall-body") {
      // Registered at once: the client may give up while the request is still arriving.
      const at = performance.now()
      res.on("close", () => stallsAbandonedAfter.push(performance.now() - at))
    }
    if (fault === "reset-request") {
      // Mid-request: after the head, before (or while) the body arrives.
      req.socket.destroy()
      return
    }
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("error", () => undefined)
    req.on("end", () => {
      const body = Buffer.concat(chunks)
      switch (fault) {
        case "stall":
          // Hold the request without a response head; the connection is closed by the client or by close().
          return
        case "throttle": {
          const inSeconds = random() < 0.2
          advise(req, res, 429, inSeconds ? 1000 : 20 + Math.floor(random() * 180), inSeconds, "Throttled", "Rate limit exceeded (fault proxy)")
          return
        }
        case "error-before": {
          const status = random() < 0.5 ? 500 : 503
          // Some 503s say when to come back, as the service does while it is busy.
          if (status === 503 && random() < 0.4) {
            advise(req, res, 503, 20 + Math.floor(random() * 180), false, "ServiceUnavailable", "Injected before the server (fault proxy)")
          } else {
            sendJson(res, status, {}, errorBody("InternalServerError", "Injected before the server (fault proxy)"))
          }
          return
        }
        default:
          break
      }
      const delay = fault === "latency" ? 20 + Math.floor(random() * 230) : 0
      setTimeout(() => {
        forward(req, body).then((answer) => {
          if (res.destroyed) return
          switch (fault) {
            case "error-after": {
              const status = random() < 0.5 ? 500 : 503
              sendJson(res, status, {}, errorBody("InternalServerError", "Injected after the server (fault proxy)"))
              return
            }
            case "reset-response":
              res.writeHead(answer.status, responseHeaders(answer.headers, answer.body))
              res.flushHeaders()
              setImmediate(() => req.socket.destroy())
              return
            case "truncated":
              res.writeHead(answer.status, responseHeaders(answer.headers, answer.body))
              res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)))
              setImmediate(() => req.socket.end())
              return
            case "stall-body":
              res.writeHead(answer.status, responseHeaders(answer.headers, answer.body))
              res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)))
              return
            case "malformed": {
              const variant = random()
              const text = answer.body.toString("utf8")
              const broken = variant < 0.34
                ? "<html><body>502 Bad Gateway</body></html>"
                : variant < 0.67
                ? text.slice(0, Math.max(1, Math.floor(text.length / 2)))
                : JSON.stringify({ value: 42, id: 7, attributes: "none" })
              const buf = Buffer.from(broken)
              res.writeHead(answer.status, { ...responseHeaders(answer.headers, buf), "content-type": "application/json; charset=utf-8" })
              res.end(buf)
              return
            }
            default:
              res.writeHead(answer.status, responseHeaders(answer.headers, answer.body))
              res.end(answer.body)
          }
        }, () => {
          if (!res.destroyed) sendJson(res, 502, {}, errorBody("BadGateway", "Upstream failed (fault proxy)"))
        })
      }, delay)
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  server.on("clientError", (_e, socket) => socket.destroy())

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts,
        retryGaps,
        stallsAbandonedAfter,
        unansweredThrottles: () => pending429.size,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            agent.destroy()
            server.close(() => done())
          })
      })
    })
  })
}
