/**
 * The socket server's own parts around the vault app: Key Vault-shaped answers to what Node's HTTP parser
 * rejects before any app runs, the health route and the request log.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as http from "node:http"
import type * as net from "node:net"
import type * as stream from "node:stream"
import type { RequestLogEntry } from "../Emulator.js"

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

const JSON_TYPE = "application/json; charset=utf-8"
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

/**
 * Wraps the vault app with what only the socket server has: the health route (no auth), the request log and
 * the Host check Node's own would answer with an empty 400.
 *
 * @internal
 */
export const wrapApp = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>,
  options: {
    readonly scheme: "http" | "https"
    readonly healthPath?: string | undefined
    readonly onRequest?: ((entry: RequestLogEntry) => void) | undefined
  }
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> => {
  const inner = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (options.healthPath !== undefined && printablePath(request.url) === options.healthPath) {
      if (request.method === "GET" || request.method === "HEAD") {
        return HttpServerResponse.text(JSON.stringify({ status: "ok" }), {
          status: 200,
          contentType: JSON_TYPE,
          headers: baseHeaders(options.scheme)
        })
      }
    }
    // HTTP/1.1 requires Host (RFC 9112 §3.2); Node would answer its absence with an empty 400.
    const incoming = NodeHttpServerRequest.toIncomingMessage(request)
    if (incoming.httpVersion === "1.1" && request.headers["host"] === undefined) {
      return HttpServerResponse.text(errorBody("BadParameter", "The request URL or Host header is invalid."), {
        status: 400,
        contentType: JSON_TYPE,
        headers: baseHeaders(options.scheme)
      })
    }
    return yield* app
  })
  const onRequest = options.onRequest
  if (onRequest === undefined) return inner
  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const started = performance.now()
    return yield* inner.pipe(Effect.onExit((exit) =>
      Effect.sync(() => {
        const response = Exit.isSuccess(exit) ? exit.value : undefined
        onRequest({
          method: request.method,
          path: printablePath(request.url),
          status: response?.status,
          durationMs: performance.now() - started,
          requestId: response?.headers["x-ms-request-id"]
        })
      })
    ))
  })
}
