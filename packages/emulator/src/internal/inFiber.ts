/**
 * An `HttpClient` that answers from the vault's `HttpApp` in the calling fiber: no sockets and no promise
 * boundary, so the vault sees the caller's services — above all its `Clock`, which lets `TestClock` drive
 * consistency delays, pollers and retry backoff together.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type * as httpApp from "./httpApp.js"

/** @internal */
export type App = ReturnType<typeof httpApp.makeApp>

/**
 * Decides, before the vault sees a request, whether to answer it some other way (used by the test layer's
 * fault injection); `undefined` lets the vault answer.
 *
 * @internal
 */
export type Intercept = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL
) => Effect.Effect<HttpClientResponse.HttpClientResponse | undefined>

const requestBody = (request: HttpClientRequest.HttpClientRequest): BodyInit | undefined => {
  switch (request.body._tag) {
    case "Empty":
    case "Stream":
      // Streams are never produced by the SDK; the vault would treat the request as having no body.
      return undefined
    case "Uint8Array":
      return request.body.body as BodyInit
    case "Raw":
      return request.body.body as BodyInit
    case "FormData":
      return request.body.formData
  }
}

/** @internal */
export const make = (
  app: App,
  hooks: {
    readonly intercept?: Intercept
    readonly onResponse?: (request: HttpClientRequest.HttpClientRequest, url: URL, status: number) => Effect.Effect<void>
  } = {}
): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const intercepted = hooks.intercept ? yield* hooks.intercept(request, url) : undefined
      if (intercepted !== undefined) return intercepted
      const body = requestBody(request)
      const web = new Request(url.toString(), {
        method: request.method,
        headers: new globalThis.Headers(request.headers as Record<string, string>),
        ...(body !== undefined ? { body } : {})
      })
      const response = yield* app.pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(web))
      )
      if (hooks.onResponse) yield* hooks.onResponse(request, url, response.status)
      return HttpClientResponse.fromWeb(request, HttpServerResponse.toWeb(response))
    }).pipe(
      Effect.catchAllDefect((cause) =>
        Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", cause, description: "in-process vault failed" })
        )
      )
    )
  )
