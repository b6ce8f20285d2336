/**
 * Keeping values and tokens out of everything an HTTP exchange leaves behind.
 *
 * The platform's `http.client` span ends with the exchange's Exit: on failure a `RequestError` holding the
 * whole request (Authorization header, JSON body with the value), on success the response, whose
 * inspection re-reads its cached JSON body (a secret value on every get). Tracers that serialise exits, and
 * `Inspectable.redact` outside a fiber (batch exporters), print all of it. So:
 * - request bodies that carry values are {@link OpaqueBytes}: sent as is, printed as `<redacted>`;
 * - {@link wrap} runs the caller's HttpClient with its own span disabled, under a span of the same kind and
 *   attributes whose Exit holds only a sanitised request (no Authorization, no body), a buffered response that
 *   never prints its body, and errors rebuilt around both.
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Cookies from "@effect/platform/Cookies"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const placeholder = "<redacted>"
const utf8 = new TextDecoder()

/** Bytes that go over the wire unchanged but print, stringify and inspect as `<redacted>`. */
export class OpaqueBytes extends Uint8Array {
  toJSON(): string {
    return placeholder
  }
  override toString(): string {
    return placeholder
  }
  [Inspectable.NodeInspectSymbol](): string {
    return placeholder
  }
}

const encoder = new TextEncoder()

/** A JSON request body that may carry a value. */
export const jsonBody = (body: unknown): HttpBody.HttpBody => {
  const bytes = encoder.encode(JSON.stringify(body))
  const opaque = new OpaqueBytes(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return HttpBody.raw(opaque, { contentType: "application/json", contentLength: opaque.byteLength })
}

/** Headers never kept in what an exchange leaves behind (plus `Headers.currentRedactedNames`). */
const credentialHeaders = ["authorization", "proxy-authorization", "cookie"]

/** The request as errors and responses may show it: method, URL, non-credential headers; no body. */
const sanitizeRequest = (
  request: HttpClientRequest.HttpClientRequest,
  redactedNames: ReadonlyArray<string | RegExp>
): HttpClientRequest.HttpClientRequest =>
  // `make` is typed per method; any method is fine here since no body is attached.
  HttpClientRequest.make(request.method as "DELETE")(request.url, {
    urlParams: request.urlParams,
    hash: Option.getOrUndefined(request.hash),
    headers: Headers.remove(request.headers, [...credentialHeaders, ...redactedNames, "content-length"])
  })

/** Response headers as a transport hands them over; turned into `Headers` only when someone reads them. */
export type RawHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** A response whose body is already in memory and which never prints it. */
export class SafeResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private parsedHeaders: Headers.Headers | undefined
  private parsedCookies: Cookies.Cookies | undefined
  constructor(
    /** The sanitised request, built on first access: most responses never show theirs. */
    private readonly requestOf: () => HttpClientRequest.HttpClientRequest,
    readonly status: number,
    /** `Headers` as is, or a transport's raw record (lower-case names), converted on first access. */
    private readonly rawHeaders: Headers.Headers | RawHeaders,
    private readonly body: Uint8Array,
    private decoded?: string | undefined,
    private readonly givenCookies?: Cookies.Cookies | undefined,
    readonly remoteAddress: Option.Option<string> = Option.none()
  ) {
    super()
  }
  get request(): HttpClientRequest.HttpClientRequest {
    return this.requestOf()
  }
  get headers(): Headers.Headers {
    return this.parsedHeaders ??= Headers.isHeaders(this.rawHeaders)
      ? this.rawHeaders
      : Headers.fromInput(this.rawHeaders)
  }
  get cookies(): Cookies.Cookies {
    if (this.givenCookies !== undefined) return this.givenCookies
    if (this.parsedCookies !== undefined) return this.parsedCookies
    const raw = Headers.isHeaders(this.rawHeaders) ? undefined : this.rawHeaders["set-cookie"]
    return this.parsedCookies = raw === undefined
      ? Cookies.empty
      : Cookies.fromSetCookie(typeof raw === "string" ? [raw] : raw)
  }
  toJSON(): unknown {
    return {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status,
      headers: Inspectable.redact(this.headers),
      body: `<${this.body.byteLength} bytes, not shown>`
    }
  }
  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }
  /** The body as text, synchronously (decoded once). */
  unsafeText(): string {
    return this.decoded ??= utf8.decode(this.body)
  }
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.sync(() => this.unsafeText())
  }
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      const text = this.unsafeText()
      try {
        return Effect.succeed(text === "" ? null : JSON.parse(text) as unknown)
      } catch {
        // The parser's message quotes the body; only the fact that it failed is kept.
        return Effect.fail(this.decodeError(new SyntaxError("The response body is not valid JSON")))
      }
    })
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.sync(() => this.body.slice().buffer as ArrayBuffer)
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.sync(() => this.body.slice())
  }
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () =>
        new Response(this.body.slice() as Uint8Array<ArrayBuffer>, { headers: { "content-type": this.headers["content-type"] ?? "" } }).formData(),
      catch: () => this.decodeError(new TypeError("The response body is not form data"))
    })
  }
}

const noBody = new Uint8Array(0)

/**
 * The peer's address, read before the body: once a keep-alive node:http response is read, Node hands its socket
 * back to the agent and detaches it from the response, and @effect/platform-node's getter then throws
 * (`Cannot read properties of null`). A transport that cannot say is `None`, never a failed exchange.
 */
const remoteAddressOf = (res: HttpClientResponse.HttpClientResponse): Option.Option<string> => {
  try {
    return res.remoteAddress
  } catch {
    return Option.none()
  }
}

const sanitizeError = (
  error: HttpClientError.HttpClientError,
  request: HttpClientRequest.HttpClientRequest
): HttpClientError.HttpClientError =>
  error._tag === "RequestError"
    ? new HttpClientError.RequestError({
      request,
      reason: error.reason,
      cause: error.cause,
      description: error.description
    })
    : new HttpClientError.ResponseError({
      request,
      response: new SafeResponse(
        () => request,
        error.response.status,
        error.response.headers,
        noBody,
        undefined,
        error.response.cookies,
        remoteAddressOf(error.response)
      ),
      reason: error.reason,
      cause: error.cause,
      description: error.description
    })

/**
 * One exchange read whole by a lean transport: the request sent, the complete answer buffered into a
 * {@link SafeResponse} (`sanitized` is its request, built only when shown), errors already sanitised.
 * Interruption aborts it.
 */
export type BufferedExchange = (
  request: HttpClientRequest.HttpClientRequest,
  sanitized: () => HttpClientRequest.HttpClientRequest
) => Effect.Effect<SafeResponse, HttpClientError.RequestError>

/**
 * Clients that open no span of their own, send no `traceparent`, never read `FetchHttpClient.Fetch` and
 * abort on interruption themselves (the lean `UndiciHttpClient`), with their buffered exchange: the SDK
 * calls that directly, without a span or a streaming response around it.
 */
const leanClients = new WeakMap<HttpClient.HttpClient, BufferedExchange>()

/** Mark a client as lean (see `leanClients`); returns it. */
export const markLean = <C extends HttpClient.HttpClient>(client: C, exchange: BufferedExchange): C => {
  leanClients.set(client, exchange)
  return client
}

/** Whether `client` is a lean client (a client derived from it, e.g. by `transformClient`, is not). */
export const isLean = (client: HttpClient.HttpClient): boolean => leanClients.has(client)

/** Send a request, get a buffered, sanitised response: the one entry point of the SDK's pipeline. */
export type Execute = (
  request: HttpClientRequest.HttpClientRequest
) => Effect.Effect<SafeResponse, HttpClientError.HttpClientError>

/**
 * The `SafeResponse` that {@link wrap} built, from under the platform's own response wrapper (`HttpClient.make`
 * returns an interruptible proxy whose `original` is ours), or rebuilt from its buffered text.
 */
const safeOf = (res: HttpClientResponse.HttpClientResponse): Effect.Effect<SafeResponse, HttpClientError.ResponseError> => {
  if (res instanceof SafeResponse) return Effect.succeed(res)
  const original = (res as { readonly original?: unknown }).original
  if (original instanceof SafeResponse) return Effect.succeed(original)
  return buffered(res, () => res.request)
}

/**
 * Any platform response read whole into a {@link SafeResponse} showing `requestOf`. Through `text`, which the
 * platform's responses cache: a transformClient that read the body first (logging, metrics) leaves it readable
 * here. Key Vault bodies are JSON text. The peer's address is read first (see `remoteAddressOf`).
 */
const buffered = (
  res: HttpClientResponse.HttpClientResponse,
  requestOf: () => HttpClientRequest.HttpClientRequest
): Effect.Effect<SafeResponse, HttpClientError.ResponseError> => {
  const remoteAddress = remoteAddressOf(res)
  return Effect.map(res.text, (text) =>
    new SafeResponse(requestOf, res.status, res.headers, encoder.encode(text), text, res.cookies, remoteAddress))
}

/**
 * The pipeline's way to send on `http`: a lean client's buffered exchange as is (no span, no streaming
 * response), any other client through {@link wrap}.
 */
export const executor = (http: HttpClient.HttpClient): Execute => {
  const exchange = leanClients.get(http)
  if (exchange === undefined) {
    const wrapped = wrap(http)
    return (request) => Effect.flatMap(wrapped.execute(request), safeOf)
  }
  return (request) =>
    Effect.withFiberRuntime((fiber) => {
      const names = fiber.getFiberRef(Headers.currentRedactedNames)
      let shown: HttpClientRequest.HttpClientRequest | undefined
      return exchange(request, () => shown ??= sanitizeRequest(request, names))
    })
}

/**
 * The caller's client with its own span turned off, inside a client built by `HttpClient.make`, so the
 * platform's span (name, attributes, trace propagation, `withTracerDisabledWhen`) is still there but ends
 * with sanitised values. The body is read inside: the span covers the whole exchange. (Lean clients never come
 * here: {@link executor} calls their buffered exchange.)
 */
const wrap = (http: HttpClient.HttpClient): HttpClient.HttpClient => {
  const inner = HttpClient.withTracerDisabledWhen(http, () => true)
  return HttpClient.make((request) =>
    Effect.flatMap(FiberRef.get(Headers.currentRedactedNames), (names) => {
      const shown = sanitizeRequest(request, names)
      return inner.execute(request).pipe(
        Effect.flatMap((res) => buffered(res, () => shown)),
        Effect.mapError((e) => sanitizeError(e, shown))
      )
    })
  )
}
