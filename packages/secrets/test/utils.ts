/**
 * Test helpers: a scripted in-process HttpClient (for behaviour the emulator cannot produce: CAE, 429/503,
 * transport errors) and a scripted real socket server on 127.0.0.1.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { RequestError } from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer, Tracer } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** A tracer that records every span it makes (over the current one), for assertions on names, parents, exits. */
export const recordingTracer = Effect.map(Effect.tracer, (base) => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (...args) => {
      const span = base.span(...args)
      spans.push(span)
      return span
    },
    context: (f, fiber) => base.context(f, fiber)
  })
  return { tracer, spans }
})

export interface Recorded {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export interface Scripted {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: unknown
  /** Fail with a transport error instead of answering (`true`: reason "Transport"). */
  readonly transportError?: boolean | "InvalidUrl" | "Encode"
  /** Never answer (for timeouts). */
  readonly hang?: boolean
  /** Socket server only: send the head and this much of the body, then stall without ending. */
  readonly stallBody?: string
}

export type Handler = (req: Recorded, index: number) => Scripted

export const VAULT = "https://myvault.vault.azure.net"
export const CHALLENGE = `Bearer authorization="https://login.microsoftonline.com/tenant-1", resource="https://vault.azure.net"`

const bodyText = (req: HttpClientRequest.HttpClientRequest): string =>
  req.body._tag === "Uint8Array" || req.body._tag === "Raw"
    ? new TextDecoder().decode(req.body.body as Uint8Array)
    : ""

/** An HttpClient that answers from `handler` and records every request. */
export const scriptedClient = (handler: Handler) => {
  const requests: Array<Recorded> = []
  const client = HttpClient.make((req, url) =>
    Effect.suspend(() => {
      const rec: Recorded = { method: req.method, url: url.toString(), headers: { ...req.headers }, body: bodyText(req) }
      requests.push(rec)
      const out = handler(rec, requests.length - 1)
      if (out.hang) return Effect.never
      if (out.transportError) {
        const reason = out.transportError === true ? "Transport" : out.transportError
        return Effect.fail(new RequestError({ request: req, reason, description: `${reason} (scripted)` }))
      }
      const body = out.body === undefined ? null : typeof out.body === "string" ? out.body : JSON.stringify(out.body)
      return Effect.succeed(
        HttpClientResponse.fromWeb(
          req,
          new Response(out.status === 204 ? null : body, {
            status: out.status,
            headers: { "content-type": "application/json; charset=utf-8", ...out.headers }
          })
        )
      )
    })
  )
  return { requests, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

/** Wraps a handler with Key Vault's challenge: 401 + WWW-Authenticate for requests without a token. */
export const withChallenge = (handler: Handler, challenge = CHALLENGE): Handler => (req, i) =>
  req.headers["authorization"] === undefined
    ? {
      status: 401,
      headers: { "www-authenticate": challenge },
      body: { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }
    }
    : handler(req, i)

export const bundle = (name: string, extra: Record<string, unknown> = {}) => ({
  value: "s3cr3t-value",
  id: `${VAULT}/secrets/${name}/0123456789abcdef0123456789abcdef`,
  attributes: { enabled: true, created: 1700000000, updated: 1700000000, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 },
  tags: {},
  ...extra
})

export const deletedBundle = (name: string, extra: Record<string, unknown> = {}) => ({
  ...bundle(name),
  value: undefined,
  recoveryId: `${VAULT}/deletedsecrets/${name}`,
  deletedDate: 1700000000,
  scheduledPurgeDate: 1707776000,
  ...extra
})

/** A real HTTP server on 127.0.0.1 answering from `handler`; closed with the scope. */
export const scriptedServer = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; requests: Array<Recorded>; server: http.Server }>((resume) => {
      const requests: Array<Recorded> = []
      const server = http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v
          const rec: Recorded = {
            method: req.method ?? "GET",
            url: `http://${req.headers.host}${req.url}`,
            headers,
            body: Buffer.concat(chunks).toString("utf8")
          }
          requests.push(rec)
          const out = handler(rec, requests.length - 1)
          if (out.transportError) {
            req.socket.destroy()
            return
          }
          if (out.hang) return
          if (out.stallBody !== undefined) {
            res.writeHead(out.status, { "content-type": "application/json; charset=utf-8", ...out.headers })
            res.write(out.stallBody)
            return
          }
          res.writeHead(out.status, { "content-type": "application/json; charset=utf-8", ...out.headers })
          res.end(out.body === undefined ? undefined : typeof out.body === "string" ? out.body : JSON.stringify(out.body))
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, requests, server }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
