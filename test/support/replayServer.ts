/**
 * A tiny HTTP server on 127.0.0.1 that plays a recording back: the n-th request it receives is
 * checked against the n-th recorded request (method, path, query, token presence, body) and answered
 * with the n-th recorded response (status, body, the service's headers), with the recorded vault
 * host rewritten to this server's origin so ids and nextLinks point back here.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type { RecordedEntry, Recording } from "./recording.js"

export interface ReplayServer {
  readonly url: string
  /** One line per request that did not match its recorded counterpart. */
  readonly mismatches: Array<string>
  /** Requests received, in order: `METHOD /path?query`. */
  readonly received: Array<string>
  readonly remaining: () => number
  readonly close: () => Promise<void>
}

/** Recorded response headers the playback repeats verbatim. */
const PASSED_THROUGH = [
  "www-authenticate",
  "cache-control",
  "pragma",
  "expires",
  "x-content-type-options",
  "strict-transport-security",
  "x-ms-keyvault-region",
  "x-ms-keyvault-service-version",
  "x-ms-keyvault-network-info"
]

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * `GET /secrets/{name}/` (empty version) and `GET /secrets/{name}` both mean "latest" (wire fact 9);
 * the JS SDK sends the former, so the two spellings are treated as the same path.
 */
const normalisePath = (p: string) => p.replace(/^(\/secrets\/[^/]+)\/$/, "$1")

const sortedQuery = (search: string) =>
  [...new URLSearchParams(search).entries()].map(([k, v]) => `${k}=${v}`).sort().join("&")

const canonicalJson = (v: unknown): string =>
  v === undefined ? "<no body>" : JSON.stringify(v, (_, x) => (x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x))

export interface ReplayServerOptions {
  /**
   * Answer a token-less request with the service's 401 challenge when the recording has none at that
   * point (the C++ recorder bypassed the challenge). The probe must carry no body; it consumes no entry.
   */
  readonly synthesizeChallenge?: boolean
}

const CHALLENGE = 'Bearer authorization="https://login.windows.net/12345678-1234-1234-1234-123456789012", resource="https://vault.azure.net"'

export const startReplayServer = async (recording: Recording, options: ReplayServerOptions = {}): Promise<ReplayServer> => {
  const mismatches: Array<string> = []
  const received: Array<string> = []
  let next = 0
  const host = recording.entries[0]!.url.hostname
  // Recorded bodies name the vault by more than one sanitised host (C++: REDACTED / cpp-recordings).
  const recordedOrigin = new RegExp(`https://(?:${escapeRegExp(host)}|[A-Za-z0-9_-]+\\.vault\\.azure\\.net)(?::443)?`, "g")
  let origin = ""

  const check = (entry: RecordedEntry, req: http.IncomingMessage, url: URL, body: string) => {
    const where = `entry #${entry.index} (${entry.method} ${entry.url.pathname}${entry.rawQuery})`
    if (req.method !== entry.method) mismatches.push(`${where}: method ${req.method}`)
    if (normalisePath(url.pathname) !== normalisePath(entry.url.pathname)) mismatches.push(`${where}: path ${url.pathname}`)
    if (sortedQuery(url.search) !== sortedQuery(entry.url.search)) mismatches.push(`${where}: query ${url.search}`)
    const authorized = req.headers.authorization !== undefined
    if (authorized !== entry.authorized) mismatches.push(`${where}: Authorization ${authorized ? "present" : "absent"}`)
    if (authorized && !/^Bearer \S+$/.test(req.headers.authorization!)) mismatches.push(`${where}: Authorization is not a bearer token`)
    // C++ recordings store no request body; their derived bodies are not evidence of what a client sent.
    if (!entry.bodyDerived) {
      let actual: unknown = undefined
      if (body !== "") {
        try {
          actual = JSON.parse(body)
        } catch {
          actual = body
        }
      }
      if (canonicalJson(actual) !== canonicalJson(entry.requestBody)) {
        mismatches.push(`${where}: body ${canonicalJson(actual).slice(0, 200)} ≠ recorded ${canonicalJson(entry.requestBody).slice(0, 200)}`)
      }
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8")
      const url = new URL(req.url ?? "/", origin)
      received.push(`${req.method} ${url.pathname}${url.search}`)
      const entry = recording.entries[next]
      if (entry === undefined) {
        mismatches.push(`request #${next} beyond the recording: ${req.method} ${url.pathname}${url.search}`)
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" })
        res.end(JSON.stringify({ error: { code: "ReplayExhausted", message: "no more recorded entries" } }))
        return
      }
      if (options.synthesizeChallenge && req.headers.authorization === undefined && entry.authorized) {
        if (body !== "") mismatches.push(`challenge probe before entry #${entry.index}: carries a body`)
        res.writeHead(401, {
          "content-type": "application/json; charset=utf-8",
          "www-authenticate": CHALLENGE,
          "x-ms-request-id": "replay-challenge",
          "x-ms-client-request-id": String(req.headers["x-ms-client-request-id"] ?? "")
        })
        res.end(JSON.stringify({ error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }))
        return
      }
      next++
      check(entry, req, url, body)
      const headers: Record<string, string> = {
        "x-ms-request-id": entry.responseHeaders["x-ms-request-id"] ?? "replay",
        "x-ms-client-request-id": String(req.headers["x-ms-client-request-id"] ?? "")
      }
      for (const name of PASSED_THROUGH) {
        if (entry.responseHeaders[name] !== undefined) headers[name] = entry.responseHeaders[name]
      }
      if (entry.responseBody === undefined) {
        res.writeHead(entry.status, headers)
        res.end()
        return
      }
      headers["content-type"] = "application/json; charset=utf-8"
      res.writeHead(entry.status, headers)
      res.end(JSON.stringify(entry.responseBody).replace(recordedOrigin, origin))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: origin,
    mismatches,
    received,
    remaining: () => recording.entries.length - next,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
