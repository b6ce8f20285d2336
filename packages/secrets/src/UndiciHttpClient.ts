/**
 * A lean `HttpClient` over `undici` — the fastest transport for `SecretClient` on Node.
 *
 * It is an ordinary `@effect/platform` `HttpClient` layer: anything that takes an `HttpClient` works with
 * it, and the SDK maps its `RequestError` / `ResponseError` like any other client's. Compared with
 * `NodeHttpClient.layerUndici` from `@effect/platform-node` it does less per request: no per-attempt
 * `http.client` span (the SDK's own per-operation span stays), no `traceparent` header, no wrapper response,
 * one buffered read of the body shared by `text` / `json` / `arrayBuffer`. Pass `{ tracing: true }` to get the
 * platform's per-attempt span and trace propagation back (it then goes through `HttpClient.make`).
 *
 * What it keeps:
 * - interruption (`Effect.timeout`, a cancelled fiber) aborts the request, also while a body is read;
 * - bodies buffered once (`text`, `json`, `arrayBuffer`, in any order, any number of times) or streamed
 *   (`stream`, read once); a response whose body is never read is destroyed when it is garbage collected,
 *   so its connection is not held forever;
 * - TLS options, keep-alive, connection limits and proxies through the undici `Dispatcher` you pass
 *   (`Agent`, `ProxyAgent`, `EnvHttpProxyAgent`, ...);
 * - undici's own `headersTimeout` / `bodyTimeout` (300 s by default, set them on the dispatcher) as a
 *   safety net under Effect's timeouts.
 *
 * One platform feature is only on the traced path: `HttpClient.withScope` (abort when a scope closes) needs
 * `{ tracing: true }`; the lean path aborts on interruption, which covers timeouts and cancelled fibers.
 *
 * `undici` is an optional peer dependency of this package (7.x); this module is not re-exported from the
 * package's index, so programs that do not use it never load undici.
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import * as UndiciHttpClient from "@effect-keyvault/secrets/UndiciHttpClient"
 * import { Layer } from "effect"
 *
 * const KeyVault = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(UndiciHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Undici from "undici"
import * as Redaction from "./internal/redaction.js"

/**
 * Options of {@link make} and the layers.
 *
 * @example
 * ```ts
 * import * as UndiciHttpClient from "@effect-keyvault/secrets/UndiciHttpClient"
 *
 * // The platform's per-attempt `http.client` span and `traceparent` propagation, at some cost per request.
 * const options: UndiciHttpClient.Options = { tracing: true }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * `true`: build the client with `HttpClient.make`, which adds a per-attempt `http.client` span (with
   * request/response header attributes) and a `traceparent` header, like the platform clients.
   * Default `false`: the lean path; the SDK's per-operation spans are unaffected.
   */
  readonly tracing?: boolean | undefined
}

/** Bodies a `Dispatcher.request` accepts. */
type DispatchBody = Undici.Dispatcher.DispatchOptions["body"]

const encodeBody = (body: HttpClientRequest.HttpClientRequest["body"]): Effect.Effect<DispatchBody> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(null)
    case "Uint8Array":
      return Effect.succeed(body.body)
    case "Raw":
      return Effect.succeed(body.body as DispatchBody)
    case "FormData":
      return Effect.succeed(body.formData as unknown as Undici.FormData)
    case "Stream":
      return Stream.toAsyncIterableEffect(body.stream) as Effect.Effect<DispatchBody>
  }
}

/**
 * The connection of a response whose body nobody reads stays busy until the body is consumed or
 * destroyed. A response dropped unread is destroyed when it is collected; reading the body unregisters it.
 */
const unreadBodies = new FinalizationRegistry<Undici.Dispatcher.ResponseData["body"]>((body) => {
  if (!body.destroyed) body.destroy()
})

const noop = () => {}

type BodyState =
  | { readonly _tag: "Unread" }
  | { readonly _tag: "Reading"; readonly promise: Promise<Uint8Array> }
  | { readonly _tag: "Read"; readonly bytes: Uint8Array }
  | { readonly _tag: "Failed"; readonly cause: unknown }
  | { readonly _tag: "Streamed" }

const unread: BodyState = { _tag: "Unread" }
const utf8 = new TextDecoder()

class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private state: BodyState = unread
  private cachedHeaders: Headers.Headers | undefined
  private cachedCookies: Cookies.Cookies | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Undici.Dispatcher.ResponseData
  ) {
    super()
    // A body error nobody listens to must not crash the process.
    source.body.on("error", noop)
    unreadBodies.register(this, source.body, this)
  }

  get status(): number {
    return this.source.statusCode
  }

  get headers(): Headers.Headers {
    return this.cachedHeaders ??= Headers.fromInput(this.source.headers as Headers.Input)
  }

  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    const header = this.source.headers["set-cookie"]
    return this.cachedCookies = header === undefined
      ? Cookies.empty
      : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError(cause: unknown, description?: string): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause, description })
  }

  /** The whole body, read once and shared by every buffered reader. Interruption destroys the body. */
  get bytes(): Effect.Effect<Uint8Array, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      const state = this.state
      switch (state._tag) {
        case "Read":
          return Effect.succeed(state.bytes)
        case "Failed":
          return Effect.fail(this.decodeError(state.cause))
        case "Streamed":
          return Effect.fail(this.decodeError(undefined, "the body was already read as a stream"))
        case "Unread":
        case "Reading": {
          let promise: Promise<Uint8Array>
          if (state._tag === "Unread") {
            unreadBodies.unregister(this)
            promise = this.source.body.bytes().then(
              (bytes) => {
                this.state = { _tag: "Read", bytes }
                return bytes
              },
              (cause) => {
                this.state = { _tag: "Failed", cause }
                throw cause
              }
            )
            this.state = { _tag: "Reading", promise }
          } else {
            promise = state.promise
          }
          return Effect.async<Uint8Array, HttpClientError.ResponseError>((resume) => {
            promise.then(
              (bytes) => resume(Effect.succeed(bytes)),
              (cause) => resume(Effect.fail(this.decodeError(cause)))
            )
            return Effect.sync(() => this.source.body.destroy())
          })
        }
      }
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.bytes, (bytes) => utf8.decode(bytes))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) => {
      try {
        return Effect.succeed(text === "" ? null : JSON.parse(text) as unknown)
      } catch (cause) {
        return Effect.fail(this.decodeError(cause))
      }
    })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    // A copy: the caller may keep or transfer it without touching the shared bytes.
    return Effect.map(this.bytes, (bytes) => bytes.slice().buffer as ArrayBuffer)
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.bytes, (bytes) =>
      Effect.tryPromise({
        try: () => new Response(bytes as Uint8Array<ArrayBuffer>, { headers: this.source.headers as Record<string, string> }).formData(),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.suspend(() => {
      const state = this.state
      if (state._tag === "Read") return Stream.succeed(state.bytes)
      if (state._tag !== "Unread") {
        return Stream.fail(this.decodeError(undefined, "the body was already read"))
      }
      unreadBodies.unregister(this)
      this.state = { _tag: "Streamed" }
      // Ending the stream early (take, interruption) returns the iterator, which destroys the body.
      return Stream.fromAsyncIterable(this.source.body as AsyncIterable<Uint8Array>, (cause) => this.decodeError(cause))
    })
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

const requestError = (request: HttpClientRequest.HttpClientRequest, cause: unknown) =>
  new HttpClientError.RequestError({ request, reason: "Transport", cause })

/** One request on `dispatcher`; `signal` aborts it. */
const dispatch = (
  dispatcher: Undici.Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  body: DispatchBody,
  controller: AbortController
) =>
  Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
    let interrupted = false
    dispatcher.request({
      method: request.method,
      origin: url.origin,
      path: url.pathname + url.search,
      headers: request.headers,
      body,
      signal: controller.signal,
      // Key Vault never redirects, and a followed redirect would carry the token (and a 307/308 the body)
      // past the SDK's host and path checks: even a dispatcher composed with undici's redirect interceptor
      // hands 3xx back (the interceptor passes requests with 0 through; the core accepts only 0).
      maxRedirections: 0
    } as Undici.Dispatcher.RequestOptions, (error, data) => {
      if (interrupted) {
        // The answer raced the interruption: free its connection.
        if (!error) data?.body?.destroy()
        return
      }
      if (error) return resume(Effect.fail(requestError(request, error)))
      resume(Effect.succeed(new UndiciResponse(request, data)))
    })
    return Effect.sync(() => {
      interrupted = true
      controller.abort()
    })
  })

/**
 * Buffers a whole answer through undici's handler API: no `Readable` body, no `AbortController`, one
 * callback when the last byte is in. Interruption before undici starts the request aborts it at start.
 */
class BufferingHandler implements Undici.Dispatcher.DispatchHandler {
  private controller: Undici.Dispatcher.DispatchController | undefined
  private interrupted = false
  private status = 0
  private headers: Redaction.RawHeaders = {}
  private chunks: Array<Uint8Array> = []
  private size = 0
  constructor(
    private readonly sanitized: () => HttpClientRequest.HttpClientRequest,
    private done: ((effect: Effect.Effect<Redaction.SafeResponse, HttpClientError.RequestError>) => void) | undefined
  ) {}
  interrupt() {
    this.interrupted = true
    this.controller?.abort(new Error("The request was interrupted"))
  }
  onRequestStart(controller: Undici.Dispatcher.DispatchController) {
    this.controller = controller
    if (this.interrupted) controller.abort(new Error("The request was interrupted"))
  }
  onResponseStart(_: Undici.Dispatcher.DispatchController, statusCode: number, headers: Redaction.RawHeaders) {
    this.status = statusCode
    this.headers = headers
  }
  onResponseData(_: Undici.Dispatcher.DispatchController, chunk: Uint8Array) {
    this.chunks.push(chunk)
    this.size += chunk.byteLength
  }
  onResponseEnd() {
    const chunks = this.chunks
    let body: Uint8Array
    if (chunks.length === 1) {
      body = chunks[0]!
    } else {
      body = new Uint8Array(this.size)
      let at = 0
      for (const c of chunks) {
        body.set(c, at)
        at += c.byteLength
      }
    }
    this.finish(Effect.succeed(new Redaction.SafeResponse(this.sanitized, this.status, this.headers, body)))
  }
  onResponseError(_: Undici.Dispatcher.DispatchController | undefined, error: Error) {
    this.finish(Effect.fail(new HttpClientError.RequestError({ request: this.sanitized(), reason: "Transport", cause: error })))
  }
  /** Hand the outcome over once; an interrupted caller has gone and gets nothing. */
  private finish(outcome: Effect.Effect<Redaction.SafeResponse, HttpClientError.RequestError>) {
    const done = this.done
    this.done = undefined
    if (done !== undefined && !this.interrupted) done(outcome)
  }
}

/**
 * `scheme://host[:port]` and the rest, without a URL parser, for URLs a parser would send unchanged: only
 * characters that need no encoding (RFC 3986 unreserved, sub-delims, `:@/?%`) and no dot segments. Anything
 * else (non-ASCII, spaces, quotes, `..`) goes through `new URL`, which encodes and normalises it: the path sent
 * is the one the SDK checked.
 */
const plainUrl = /^(https?:\/\/[A-Za-z0-9.\-:[\]]+)(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)$/
const dotSegment = /(?:^|\/)(?:\.|%2e){1,2}(?:[/?]|$)/i

const withBody = <A>(
  request: HttpClientRequest.HttpClientRequest,
  f: (body: DispatchBody) => Effect.Effect<A, HttpClientError.RequestError>
): Effect.Effect<A, HttpClientError.RequestError> => {
  const body = request.body
  // The common cases without an extra Effect step.
  if (body._tag === "Empty") return f(null)
  if (body._tag === "Uint8Array") return f(body.body)
  return Effect.flatMap(encodeBody(body), f)
}

/** The SDK's path (internal/redaction.ts): the request sent, the whole answer buffered. */
const bufferedExchange = (dispatcher: Undici.Dispatcher): Redaction.BufferedExchange => (request, sanitized) => {
  let origin: string
  let path: string
  const plain = request.urlParams.length === 0 && Option.isNone(request.hash) ? plainUrl.exec(request.url) : null
  // A dot segment anywhere (in the query too, which only costs the parser) sends the URL through `new URL`.
  if (plain !== null && !dotSegment.test(plain[2]!)) {
    origin = plain[1]!
    path = plain[2]!
  } else {
    const url = parseUrl(request)
    if (url._tag === "Left") {
      return Effect.fail(new HttpClientError.RequestError({ request: sanitized(), reason: "InvalidUrl", cause: url.left }))
    }
    origin = url.right.origin
    path = url.right.pathname + url.right.search
  }
  return withBody(request, (body) =>
    Effect.async<Redaction.SafeResponse, HttpClientError.RequestError>((resume) => {
      const handler = new BufferingHandler(sanitized, resume)
      dispatcher.dispatch({
        method: request.method,
        origin,
        path,
        headers: request.headers,
        body,
        // See `dispatch`: redirects are never followed.
        maxRedirections: 0
      } as Undici.Dispatcher.DispatchOptions, handler)
      return Effect.sync(() => handler.interrupt())
    }))
}


const parseUrl = (request: HttpClientRequest.HttpClientRequest) => {
  if (request.urlParams.length === 0 && Option.isNone(request.hash)) {
    try {
      return { _tag: "Right", right: new URL(request.url) } as const
    } catch (cause) {
      return { _tag: "Left", left: cause } as const
    }
  }
  return UrlParams.makeUrl(request.url, request.urlParams, request.hash)
}

/**
 * An `HttpClient` that sends every request through `dispatcher` (an undici `Agent`, `Pool`, `ProxyAgent`,
 * ...). The dispatcher is not closed by the client.
 *
 * @example
 * ```ts
 * import * as UndiciHttpClient from "@effect-keyvault/secrets/UndiciHttpClient"
 * import { Agent } from "undici"
 *
 * const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 })
 * const client = UndiciHttpClient.make(agent)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (dispatcher: Undici.Dispatcher, options?: Options): HttpClient.HttpClient => {
  if (options?.tracing === true) {
    // The platform's constructor: per-attempt span, trace propagation, abort on interruption.
    return HttpClient.make((request, url, signal) =>
      withBody(request, (body) => {
        const controller = new AbortController()
        signal.addEventListener("abort", () => controller.abort(), { once: true })
        return dispatch(dispatcher, request, url, body, controller)
      })
    )
  }
  // Marked lean: the SDK then adds no per-attempt span around it either (internal/redaction.ts).
  return Redaction.markLean(HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (effect) =>
      Effect.flatMap(effect, (request) => {
        const url = parseUrl(request)
        if (url._tag === "Left") {
          return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
        }
        return withBody(request, (body) => dispatch(dispatcher, request, url.right, body, new AbortController()))
      }),
    Effect.succeed
  ), bufferedExchange(dispatcher))
}

/**
 * The client on a dispatcher you own (TLS options, proxies, connection limits); the layer does not close it.
 *
 * @example
 * ```ts
 * import * as UndiciHttpClient from "@effect-keyvault/secrets/UndiciHttpClient"
 * import { Agent, ProxyAgent } from "undici"
 *
 * // Trust the emulator's self-signed certificate (and only for this client).
 * const emulatorPem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"
 * const ForEmulator = UndiciHttpClient.layerWithDispatcher(new Agent({ connect: { ca: emulatorPem } }))
 *
 * // Through a corporate proxy.
 * const ViaProxy = UndiciHttpClient.layerWithDispatcher(new ProxyAgent("http://proxy.internal:3128"))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithDispatcher = (
  dispatcher: Undici.Dispatcher,
  options?: Options
): Layer.Layer<HttpClient.HttpClient> => Layer.succeed(HttpClient.HttpClient, make(dispatcher, options))

/**
 * The client on a new undici `Agent` built from `agentOptions`, destroyed when the layer is released.
 *
 * @example
 * ```ts
 * import * as UndiciHttpClient from "@effect-keyvault/secrets/UndiciHttpClient"
 *
 * const Http = UndiciHttpClient.layerAgent({ connections: 32, keepAliveTimeout: 10_000 })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAgent = (
  agentOptions?: Undici.Agent.Options,
  options?: Options
): Layer.Layer<HttpClient.HttpClient> =>
  Layer.scoped(
    HttpClient.HttpClient,
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => new Undici.Agent(agentOptions)),
        (agent) => Effect.promise(() => agent.destroy())
      ),
      (agent) => make(agent, options)
    )
  )

/**
 * The client on its own undici `Agent` with default options (keep-alive on), destroyed with the layer.
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import * as UndiciHttpClient from "@effect-keyvault/secrets/UndiciHttpClient"
 * import { Layer } from "effect"
 *
 * const KeyVault = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(UndiciHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = layerAgent()
