/**
 * The socket server: the vault served on `node:http(s)`, Key Vault-shaped answers to what Node's HTTP parser
 * rejects before any request handler runs, the health route and the request log.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as http from "node:http"
import type * as net from "node:net"
import type * as stream from "node:stream"
import type { RequestLogEntry } from "../Emulator.js"
import type * as VaultEngine from "../VaultEngine.js"
import * as httpApp from "./httpApp.js"

const baseHeaders = (scheme: "http" | "https", requestId: string = crypto.randomUUID()): Record<string, string> => ({
  "cache-control": "no-cache",
  pragma: "no-cache",
  expires: "-1",
  "x-ms-request-id": requestId,
  "x-ms-keyvault-region": "emulator",
  "x-ms-keyvault-service-version": "1.9.0.0-emulator",
  "x-content-type-options": "nosniff",
  ...(scheme === "https" ? { "strict-transport-security": "max-age=31536000;includeSubDomains" } : {})
})

const JSON_TYPE = httpApp.JSON_CONTENT_TYPE
const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message } })

const REASONS: Record<number, string> = {
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Payload Too Large",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large"
}

// A whole response written straight to the socket: for rejections that happen before Node builds a
// request/response pair, so there is no ServerResponse to write through.
const rawResponse = (
  scheme: "http" | "https",
  status: number,
  code: string,
  message: string
): { readonly text: string; readonly requestId: string } => {
  const body = errorBody(code, message)
  const requestId = crypto.randomUUID()
  const headers = { ...baseHeaders(scheme, requestId), "content-type": JSON_TYPE, "content-length": String(Buffer.byteLength(body)), connection: "close" }
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`)
  return {
    text: `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n${lines.join("\r\n")}\r\n\r\n${body}`,
    requestId
  }
}

// What Node's default clientError handler answers, as status + Key Vault code + message. The message never
// echoes the rejected bytes: they may hold a token.
const parserRejection = (error: NodeJS.ErrnoException): readonly [number, string, string] => {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return [431, "RequestHeaderFieldsTooLarge", "The request headers are too large."]
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return [413, "RequestEntityTooLarge", "The request's chunk extensions are too large."]
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "RequestTimeout", "The request was not received in time."]
    case "HPE_INVALID_METHOD":
      return [400, "BadParameter", "The request method is invalid (methods are case-sensitive upper-case tokens)."]
    default:
      return [400, "BadParameter", "The request could not be parsed as HTTP/1.1."]
  }
}

/**
 * Answers, as JSON error bodies like every other Key Vault rejection, what Node's HTTP server would otherwise
 * answer with an empty body or a closed socket: requests its parser rejects (`clientError`: invalid or
 * lower-case methods, oversized headers, malformed framing, header timeouts), an `Expect` other than
 * `100-continue` (`checkExpectation`, 417) and `CONNECT` (405).
 *
 * @internal
 */
export const installRejections = (
  server: http.Server,
  scheme: "http" | "https",
  onRequest?: ((entry: RequestLogEntry) => void) | undefined
): void => {
  const log = (method: string, url: string, status: number, requestId: string) =>
    onRequest?.({ method, path: printablePath(url), status, durationMs: 0, requestId })
  server.on("clientError", (error: NodeJS.ErrnoException, socket: stream.Duplex) => {
    // A response of this connection already on the wire cannot be followed by another one.
    const inFlight = (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy()
      return
    }
    const [status, code, message] = parserRejection(error)
    const response = rawResponse(scheme, status, code, message)
    // Nothing of the request was parsed for sure, so the log line names none of it.
    log("-", "-", status, response.requestId)
    socket.end(response.text, () => socket.destroy())
  })
  server.on("checkExpectation", (request: http.IncomingMessage, response: http.ServerResponse) => {
    const body = errorBody("ExpectationFailed", "Only 'Expect: 100-continue' is supported.")
    const requestId = crypto.randomUUID()
    const headers = { ...baseHeaders(scheme, requestId), "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body), connection: "close" }
    response.writeHead(417, headers)
    response.end(body)
    log(request.method ?? "-", request.url ?? "-", 417, requestId)
  })
  server.on("connect", (request: http.IncomingMessage, socket: net.Socket) => {
    const response = rawResponse(scheme, 405, "MethodNotAllowed", "HTTP CONNECT not allowed")
    log("CONNECT", request.url ?? "-", 405, response.requestId)
    socket.end(response.text, () => socket.destroy())
  })
}

// Paths go into log lines: keep them on one line and free of terminal control sequences.
const printablePath = (url: string): string => {
  const q = url.indexOf("?")
  const path = q === -1 ? url : url.slice(0, q)
  return path.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c))
}

// The body of a node request: kept up to `maxBytes`, the rest read and dropped (so the 413 reaches the client
// instead of a connection reset) up to MAX_DRAIN_BYTES, beyond which the connection is given up.
const readBody = (request: http.IncomingMessage) => (maxBytes: number): Effect.Effect<string, VaultEngine.VaultError> =>
  Effect.async<string, VaultEngine.VaultError>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const cleanup = () => {
      request.off("data", onData)
      request.off("end", onEnd)
      request.off("error", onError)
    }
    function onData(chunk: Buffer) {
      size += chunk.length
      if (size <= maxBytes) chunks.push(chunk)
      else if (size > httpApp.MAX_DRAIN_BYTES) {
        cleanup()
        request.destroy()
        resume(Effect.fail(httpApp.bodyTooLarge(maxBytes)))
      }
    }
    function onEnd() {
      cleanup()
      resume(
        size > maxBytes
          ? Effect.fail(httpApp.bodyTooLarge(maxBytes))
          : Effect.succeed(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"))
      )
    }
    function onError() {
      cleanup()
      resume(size === 0 ? Effect.succeed("") : Effect.fail(httpApp.bodyUnreadable()))
    }
    request.on("data", onData)
    request.on("end", onEnd)
    request.on("error", onError)
    return Effect.sync(cleanup)
  })

/**
 * The socket server's request listener: the vault answered straight on `node:http(s)` (one fiber per request,
 * no platform server, router or middleware in between), plus what only the socket server has: the health
 * route (no auth), the request log and the Host check Node's own would answer with an empty 400.
 *
 * @internal
 */
export const makeListener = (
  vault: httpApp.Vault,
  options: {
    readonly scheme: "http" | "https"
    readonly healthPath?: string | undefined
    readonly onRequest?: ((entry: RequestLogEntry) => void) | undefined
  }
): (request: http.IncomingMessage, response: http.ServerResponse) => void => {
  const { healthPath, onRequest, scheme } = options
  const send = (response: http.ServerResponse, status: number, headers: Record<string, string>, body: string | undefined) => {
    if (response.writableEnded || response.destroyed) return
    if (body !== undefined) {
      headers["content-type"] = httpApp.JSON_CONTENT_TYPE
      headers["content-length"] = String(Buffer.byteLength(body, "utf8"))
    }
    response.writeHead(status, headers)
    response.end(body)
  }
  // A health path under /secrets (an odd choice, but allowed) keeps every GET there on the ordinary way.
  const plainGet = healthPath !== undefined && healthPath.toLowerCase().startsWith("/secrets") ? undefined : vault.answerPlainGet
  return (request, response) => {
    const started = onRequest === undefined ? 0 : performance.now()
    const method = request.method ?? "GET"
    const url = request.url ?? "/"
    // The commonest request first, with nothing built that it does not need (no request headers object,
    // no closures, headers handed to Node as a flat list).
    if (plainGet !== undefined) {
      const plain = plainGet(method, url, request.rawHeaders)
      if (plain !== undefined) {
        response.writeHead(200, plain.headers)
        response.end(plain.body)
        onRequest?.({ method, path: printablePath(url), status: 200, durationMs: performance.now() - started, requestId: plain.requestId })
        return
      }
    }
    let logged = false
    const log = (status: number | undefined, requestId: string | undefined) => {
      if (onRequest === undefined || logged) return
      logged = true
      onRequest({ method, path: printablePath(url), status, durationMs: performance.now() - started, requestId })
    }
    const answer = (status: number, headers: Record<string, string>, body: string | undefined) => {
      send(response, status, headers, body)
      log(status, headers["x-ms-request-id"])
    }
    if (healthPath !== undefined && (method === "GET" || method === "HEAD") && printablePath(url) === healthPath) {
      return answer(200, baseHeaders(scheme), JSON.stringify({ status: "ok" }))
    }
    // HTTP/1.1 requires Host (RFC 9112 §3.2); Node would answer its absence with an empty 400.
    if (request.httpVersion === "1.1" && request.headers.host === undefined) {
      return answer(400, baseHeaders(scheme), errorBody("BadParameter", "The request URL or Host header is invalid."))
    }
    const vaultRequest: httpApp.VaultRequest = {
      method,
      url,
      headers: request.headers as Record<string, string | undefined>,
      body: readBody(request)
    }
    // The hot routes are answered right here, the rest in a fiber.
    const now = vault.answerSync?.(vaultRequest)
    if (now !== undefined) return answer(now.status, now.headers, now.body)
    const fiber = Effect.runFork(vault.answer(vaultRequest))
    fiber.addObserver((exit) => {
      if (Exit.isSuccess(exit)) answer(exit.value.status, exit.value.headers, exit.value.body)
      else if (!response.writableEnded) response.destroy()
    })
    response.on("close", () => {
      if (!response.writableEnded) {
        // The client went away before the answer.
        log(undefined, undefined)
        fiber.unsafeInterruptAsFork(fiber.id())
      }
    })
  }
}
