/**
 * The request pipeline every operation goes through: URL safety checks, challenge auth with a per-client
 * token cache, CAE, client request id + user agent, per-attempt timeout, retry, and status → typed error.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import * as Credential from "../Credential.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as SecretError from "../SecretError.js"
import * as Challenge from "./challenge.js"
import type * as Operation from "./operation.js"
import * as Redaction from "./redaction.js"
import type * as Transform from "./transform.js"
import * as Wire from "./wire.js"

export interface PipelineOptions {
  /** Normalised `scheme://host[:port][/path]` (no trailing slash). */
  readonly vaultUrl: string
  readonly verifyChallengeResource: boolean
  readonly allowInsecureLoopback: boolean
  readonly userAgent: string
  readonly timeout: Duration.Duration | undefined
  readonly retryPolicy: RetryPolicy.Policy
}

/** Who the request is about, for error messages. */
export interface Ctx {
  readonly name?: string | undefined
  readonly operation: string
}

export type SendError = SecretError.TransportError | SecretError.CredentialError | SecretError.ChallengeError

interface ChallengeState {
  readonly scope: string
  readonly tenantId: string | undefined
  /** Which cached token fits this challenge (tenant and scope), computed once per accepted challenge. */
  readonly tokenKey: string
}

interface CachedToken {
  readonly key: string
  readonly token: Credential.AccessToken
  /** After a failed refresh: do not ask the credential again before this time (epoch ms). */
  readonly backoffUntil?: number | undefined
}

/** Refresh this long before expiry; inside it the cached token is still used if the refresh fails. */
const refreshWindowMs = 2 * 60_000
const forcedWindowMs = 1_000
/** Pause between refresh attempts after one failed (reference §2.2: 3 s, like the official SDK). */
const refreshRetryMs = 3_000

/** A buffered response that never prints its body (internal/redaction.ts). */
export type Response = Redaction.SafeResponse

export interface Pipeline {
  readonly vaultUrl: string
  readonly send: (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) => Effect.Effect<Response, SendError>
}

const headerOf = (res: Response, name: string): string | undefined => res.headers[name]

// `text` is cached by the response, and every internal reader goes through it.
const drain = (res: Response) => Effect.ignore(res.text)

/** One turn of the event loop (a zero timeout where there is no setImmediate), interruptible. */
const nextTurn: Effect.Effect<void> = Effect.async<void>((resume) => {
  if (typeof setImmediate !== "function") {
    const timer = setTimeout(() => resume(Effect.void), 0)
    return Effect.sync(() => clearTimeout(timer))
  }
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/**
 * Done with a 401 that is answered by another request at once (the challenge to the first, unauthenticated
 * request, or a CAE claims challenge): read it, then wait one event-loop turn. fetch and undici return the
 * connection to their pool only on a later turn than the one in which the body was read; without the pause
 * the next request opens a second connection (one more TCP + TLS handshake on every client's first request).
 */
const settleChallenge = (res: Response) => Effect.zipRight(drain(res), nextTurn)

/**
 * Key Vault never redirects, and no transport may follow a 3xx by itself: `fetch` would re-send the
 * Authorization header to a same-origin target (outside a gateway vault's path, past `checkUrl`) and, for a
 * 307/308, the body. Every fetch the pipeline makes uses `redirect: "manual"`, so a 3xx reaches the pipeline
 * (and fails as `HttpError`) as on undici and node:http. Only FetchHttpClient reads this tag; a `RequestInit`
 * given to its layer is kept (fetch receives it in `init`).
 */
const manualRedirectFetch: typeof fetch = (input, init) => globalThis.fetch(input, { ...init, redirect: "manual" })

const withoutRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.serviceOption(FetchHttpClient.Fetch), (own) =>
    Effect.provideService(
      effect,
      FetchHttpClient.Fetch,
      Option.isNone(own)
        ? manualRedirectFetch
        : ((input, init) => own.value(input, { ...init, redirect: "manual" })) as typeof fetch
    ))

export const make = (
  options: PipelineOptions,
  transport: HttpClient.HttpClient,
  credential: Credential.Service
): Effect.Effect<Pipeline> =>
  Effect.sync(() => {
    // Spans and errors of every exchange hold sanitised copies only (no token, no body): internal/redaction.ts.
    const http = Redaction.executor(transport)
    // The lean undici client never reads `FetchHttpClient.Fetch`: no redirect guard to provide per request.
    const guardRedirects = !Redaction.isLean(transport)
    const vault = new URL(options.vaultUrl)
    const vaultPath = vault.pathname.replace(/\/+$/, "")
    // Per-client constants of the hot path, computed once.
    const staticHeaders = { "user-agent": options.userAgent, accept: "application/json" }
    const vaultPrefix = `${vault.protocol}//${vault.host}${vaultPath}/`
    const vaultSchemeOk = vault.protocol === "https:" ||
      (vault.protocol === "http:" && options.allowInsecureLoopback && Challenge.isLoopback(vault.hostname))

    // The accepted challenge and the cached token are plain fields: the common case (a token outside its
    // refresh window) reads them synchronously. Every write of `cached` happens under `refreshLock`, so a
    // refresh stays single-flight; concurrent callers wait on the lock and then reuse the fresh token.
    let challenge: ChallengeState | undefined
    let cached: CachedToken | undefined
    const refreshLock = Effect.unsafeMakeSemaphore(1)
    // Single flight of the first probe: N concurrent first requests (a bulk read at start-up) wait for one
    // probe and share its challenge, instead of each paying a 401 round trip.
    const firstProbe = Effect.unsafeMakeSemaphore(1)

    const credentialError = (ctx: Ctx, e: Credential.TokenError) =>
      new SecretError.CredentialError({
        vault: options.vaultUrl,
        name: ctx.name,
        message: `${ctx.operation}: ${e.message}`,
        cause: e.cause
      })

    /** The cached entry for this challenge while its token is still valid (outside the last second before expiry). */
    const validCached = (state: ChallengeState, now: number): CachedToken | undefined => {
      const current = cached
      return current !== undefined && current.key === state.tokenKey &&
          now < current.token.expiresOnTimestamp - forcedWindowMs
        ? current
        : undefined
    }

    /** Whether a valid token is due for its refresh (inside the refresh window). */
    const dueForRefresh = (t: Credential.AccessToken, now: number) =>
      now >= (t.refreshAfterTimestamp ?? t.expiresOnTimestamp - refreshWindowMs)

    // A refresh running in the background (started by the first call inside the refresh window).
    let backgroundRefresh = false

    const getToken = (state: ChallengeState, ctx: Ctx, claims?: string) =>
      claims !== undefined ? lockedGetToken(state, ctx, claims) : Effect.clockWith((clock) => {
        const now = clock.unsafeCurrentTimeMillis()
        const current = validCached(state, now)
        if (current === undefined) return lockedGetToken(state, ctx, claims)
        const valid = current.token
        if (!dueForRefresh(valid, now)) return Effect.succeed(valid)
        // Inside the refresh window with a token that is still valid (as the official SDKs do): one refresh
        // runs in the background and every call goes on with the valid token; nobody waits for the credential
        // until the token is about to expire. A failed refresh keeps the token (lockedGetToken backs off).
        // The flag is set and the refresh forked in one uninterruptible step: an interruption cannot leave the
        // flag set without a refresh. The refresh is its own trace (not a child of this call's span, which ends
        // long before) and interruptible; `timeout` bounds the credential as on the blocking path.
        return Effect.as(
          Effect.uninterruptible(Effect.suspend(() => {
            if (backgroundRefresh) return Effect.void
            backgroundRefresh = true
            return Effect.forkDaemon(
              lockedGetToken(state, ctx).pipe(
                Effect.ignore,
                Effect.ensuring(Effect.sync(() => {
                  backgroundRefresh = false
                })),
                Effect.interruptible,
                Effect.mapInputContext((context: Context.Context<never>) => Context.omit(Tracer.ParentSpan)(context))
              )
            )
          })),
          valid
        )
      })

    const lockedGetToken = (state: ChallengeState, ctx: Ctx, claims?: string) =>
      refreshLock.withPermits(1)(Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const key = state.tokenKey
        const usable = claims === undefined ? validCached(state, now) : undefined
        if (usable !== undefined) {
          const t = usable.token
          if (!dueForRefresh(t, now)) return t
          // A refresh failed moments ago: keep the still-valid token instead of hammering the credential.
          if (usable.backoffUntil !== undefined && now < usable.backoffUntil) return t
        }
        const request = credential.getToken([state.scope], { tenantId: state.tenantId, claims, enableCae: true })
        // The token lock is held while the credential runs: a hung credential must not block every caller.
        const timeout = options.timeout
        const fresh = yield* (timeout === undefined ? request : Effect.timeoutFail(request, {
          duration: timeout,
          onTimeout: () =>
            new Credential.TokenError({ message: `The credential returned no token within ${Duration.format(timeout)}` })
        })).pipe(Effect.either)
        if (fresh._tag === "Right") {
          cached = { key, token: fresh.right }
          return fresh.right
        }
        // A failed proactive refresh keeps the still-valid token.
        if (usable !== undefined) {
          yield* Effect.logWarning("Token refresh failed; using the cached token until it expires")
          cached = { ...usable, backoffUntil: now + refreshRetryMs }
          return usable.token
        }
        return yield* Effect.fail(credentialError(ctx, fresh.left))
      }))

    const execute = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) => {
      // The body is read inside (Redaction.wrap), within the timeout, so a stalled body fails the attempt
      // (and is retried) instead of hanging a later `res.json`; the response is readable in every form.
      const run = (guardRedirects ? withoutRedirects(http(request)) : http(request)).pipe(
        Effect.mapError((e) =>
          new SecretError.TransportError({
            vault: options.vaultUrl,
            name: ctx.name,
            reason: e._tag === "RequestError" ? e.reason : "Transport",
            message: `${ctx.operation}: ${request.method} ${vault.host} failed before a complete response: ${e.message}`,
            cause: e.cause
          })
        )
      )
      if (options.timeout === undefined) return run
      const timeout = options.timeout
      return Effect.timeoutFail(run, {
        duration: timeout,
        onTimeout: () =>
          new SecretError.TransportError({
            vault: options.vaultUrl,
            name: ctx.name,
            reason: "Timeout",
            message: `${ctx.operation}: no complete response within ${Duration.format(timeout)}`
          })
      })
    }

    const challengeError = (ctx: Ctx, reason: SecretError.ChallengeError["reason"], message: string) =>
      new SecretError.ChallengeError({ vault: options.vaultUrl, name: ctx.name, reason, message })

    /** Accept a challenge only after its resource is verified. */
    const acceptChallenge = (
      c: Challenge.Challenge,
      ctx: Ctx
    ): Effect.Effect<ChallengeState | undefined, SecretError.ChallengeError> =>
      Effect.suspend(() => {
        const scope = Challenge.scopeOf(c)
        if (scope === undefined) return Effect.succeed(undefined)
        if (options.verifyChallengeResource) {
          const verdict = Challenge.verifyResource(vault, scope)
          if (verdict === "invalid") {
            return Effect.fail(
              challengeError(ctx, "InvalidChallenge", `The challenge contains invalid scope '${scope}'.`)
            )
          }
          if (verdict === "mismatch") {
            return Effect.fail(challengeError(
              ctx,
              "ResourceMismatch",
              `The challenge resource '${
                new URL(scope).host
              }' does not match the requested domain '${vault.host}' (the vault host must end with '.' + the resource host, on the same port). Set verifyChallengeResource: false in the client options to disable this check. See https://aka.ms/azsdk/blog/vault-uri for more information.`
            ))
          }
        }
        const state: ChallengeState = { scope, tenantId: c.tenantId, tokenKey: `${c.tenantId ?? ""}|${scope}` }
        challenge = state
        return Effect.succeed(state)
      })

    const authorize = (request: HttpClientRequest.HttpClientRequest, token: Credential.AccessToken) =>
      HttpClientRequest.bearerToken(request, token.token)

    const sendAuthorized = (
      request: HttpClientRequest.HttpClientRequest,
      state: ChallengeState,
      ctx: Ctx,
      allowNewChallenge: boolean
    ): Effect.Effect<Response, SendError> =>
      Effect.flatMap(getToken(state, ctx), (token) =>
        Effect.flatMap(execute(authorize(request, token), ctx), (res) =>
          res.status !== 401 ? Effect.succeed(res) : onUnauthorized(request, state, ctx, allowNewChallenge, res)))

    /** A 401 to an authorized request: a CAE claims challenge, a new challenge, or the caller's 401. */
    const onUnauthorized = (
      request: HttpClientRequest.HttpClientRequest,
      state: ChallengeState,
      ctx: Ctx,
      allowNewChallenge: boolean,
      res: Response
    ): Effect.Effect<Response, SendError> =>
      Effect.gen(function*() {
        const header = headerOf(res, "www-authenticate")
        if (header === undefined) {
          // A 401 without a challenge: forget the cached one so the next request starts over.
          challenge = undefined
          return res
        }
        const c = Challenge.parseWWWAuthenticate(header)
        if (c.error === "insufficient_claims" && c.claims !== undefined) {
          yield* settleChallenge(res)
          yield* Effect.logDebug("CAE insufficient_claims challenge; retrying once with claims")
          const claimsToken = yield* getToken(state, ctx, Challenge.decodeClaims(c.claims))
          // Only one CAE round: a second challenge goes back to the caller as 401.
          return yield* execute(authorize(request, claimsToken), ctx)
        }
        if (allowNewChallenge) {
          const next = yield* acceptChallenge(c, ctx)
          if (next !== undefined) {
            yield* settleChallenge(res)
            return yield* sendAuthorized(request, next, ctx, false)
          }
        }
        return res
      })

    type Probed =
      | { readonly _tag: "Response"; readonly res: Response }
      | { readonly _tag: "Challenge"; readonly state: ChallengeState; readonly fresh: boolean }

    const probedResponse = (res: Response): Probed => ({ _tag: "Response", res })
    const probedChallenge = (state: ChallengeState, fresh: boolean): Probed => ({ _tag: "Challenge", state, fresh })

    // First request of this client: no token, no body; the 401 challenge says where to get a token.
    const probeOnce = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) =>
      Effect.gen(function*() {
        // Another fiber's probe may have finished while this one waited for the lock.
        const again = challenge
        if (again !== undefined) return probedChallenge(again, false)
        const probe = HttpClientRequest.setBody(request, HttpBody.empty)
        const res = yield* execute(probe, ctx)
        // Anything but a challenge goes back to the retry loop as is (429/503/5xx are retried and probe
        // again); resending the full request here would send the body without a token.
        if (res.status !== 401) {
          // A write whose body-less probe "succeeded" was never applied: reporting that answer as the result
          // would lose the write, and sending the body without a token is never an option.
          if (request.body._tag !== "Empty" && res.status < 400) {
            yield* drain(res)
            return yield* challengeError(
              ctx,
              "NoChallenge",
              `${ctx.operation}: the service answered the unauthenticated probe of ${request.method} with ${res.status} ` +
                `instead of a 401 challenge; the request body was not sent. Is vaultUrl a Key Vault endpoint?`
            )
          }
          return probedResponse(res)
        }
        const header = headerOf(res, "www-authenticate")
        if (header === undefined) return probedResponse(res)
        const accepted = yield* acceptChallenge(Challenge.parseWWWAuthenticate(header), ctx)
        if (accepted === undefined) return probedResponse(res)
        yield* settleChallenge(res)
        return probedChallenge(accepted, true)
      })

    const attempt = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) =>
      Effect.suspend(() => {
        const known = challenge
        if (known !== undefined) return sendAuthorized(request, known, ctx, true)
        return Effect.flatMap(firstProbe.withPermits(1)(probeOnce(request, ctx)), (probed) =>
          probed._tag === "Response"
            ? Effect.succeed(probed.res)
            // A challenge this attempt just accepted is not re-negotiated on a second 401.
            : sendAuthorized(request, probed.state, ctx, !probed.fresh))
      })

    /**
     * A URL the client built from `vaultUrl` and encoded segments: under the vault's prefix, and nothing a URL
     * parser would rewrite (no dot segments, encoded or not; no backslash, `@`, `#`, whitespace or controls).
     * Anything else (a nextLink from the server, `sendRequest`) goes through the full check.
     */
    const plainPath = /^[A-Za-z0-9\-_~/%]*$/
    // `$` too: the service's nextLinks carry `$skiptoken` (a URL parser leaves it as is).
    const plainQuery = /^[A-Za-z0-9\-_~.=&%$]*$/
    const isOwnUrl = (url: string): boolean => {
      if (!vaultSchemeOk || !url.startsWith(vaultPrefix)) return false
      const q = url.indexOf("?", vaultPrefix.length)
      const path = q === -1 ? url.slice(vaultPrefix.length) : url.slice(vaultPrefix.length, q)
      return plainPath.test(path) && !/%2e|%2f|%5c/i.test(path) && (q === -1 || plainQuery.test(url.slice(q + 1)))
    }

    const checkUrl = (rawUrl: string, ctx: Ctx): SendError | undefined => {
      if (isOwnUrl(rawUrl)) return undefined
      let url: URL
      try {
        url = new URL(rawUrl)
      } catch {
        return new SecretError.TransportError({
          vault: options.vaultUrl,
          name: ctx.name,
          reason: "InvalidUrl",
          message: `${ctx.operation}: invalid request URL`
        })
      }
      if (url.protocol === "http:") {
        if (!(options.allowInsecureLoopback && Challenge.isLoopback(url.hostname))) {
          return challengeError(
            ctx,
            "InsecureUrl",
            `Refusing to send a bearer token over plain HTTP to '${url.host}'. Key Vault requires HTTPS; ` +
              `plain HTTP is allowed only to a loopback address with allowInsecureLoopback: true.`
          )
        }
      } else if (url.protocol !== "https:") {
        return challengeError(ctx, "InsecureUrl", `Unsupported URL scheme '${url.protocol}'.`)
      }
      if (url.protocol !== vault.protocol || url.host !== vault.host) {
        return challengeError(
          ctx,
          "ForeignHost",
          `Refusing to send a request for vault '${vault.host}' to another host '${url.host}'.`
        )
      }
      // A vault behind a path-based gateway: every request (nextLink included) stays under its path, where
      // another path on the same host may be another backend.
      // An encoded slash or backslash is refused there too: a gateway that decodes it before routing would
      // resolve `/kv/secrets%2F..%2F..%2Fadmin` outside the vault's path, past this prefix check.
      if (
        vaultPath !== "" &&
        ((url.pathname !== vaultPath && !url.pathname.startsWith(`${vaultPath}/`)) || /%2f|%5c/i.test(url.pathname))
      ) {
        return challengeError(
          ctx,
          "ForeignHost",
          `Refusing to send a request for vault '${vault.host}${vaultPath}' outside its path ('${url.pathname}').`
        )
      }
      return undefined
    }

    /** Whether debug logs would be written: the message is built (and logged) only then. */
    const debugEnabled = (fiber: Fiber.RuntimeFiber<unknown, unknown>) =>
      !LogLevel.greaterThan(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), LogLevel.Debug)

    /**
     * One call's retry state. The loop's functions live at client level and take it as an argument: no
     * closures are built per request (the common request succeeds at its first attempt).
     */
    interface Call {
      readonly request: HttpClientRequest.HttpClientRequest
      readonly prepared: HttpClientRequest.HttpClientRequest
      readonly ctx: Ctx
      /** Built on the first retryable failure only. */
      driver: Schedule.ScheduleDriver<unknown, RetryPolicy.RetryInput> | undefined
    }

    const runAttempts = (call: Call): Effect.Effect<Response, SendError> =>
      Effect.matchEffect(attempt(call.prepared, call.ctx), {
        // A URL or body the transport cannot encode fails the same way on every attempt: not retried.
        onFailure: (e) =>
          e._tag !== "TransportError" || e.reason === "InvalidUrl" || e.reason === "Encode"
            ? Effect.fail(e)
            : retryOrGiveUp(call, { status: undefined, retryAfter: undefined }, Either.left(e)),
        onSuccess: (res) => onAttemptResponse(call, res)
      })

    const onAttemptResponse = (call: Call, res: Response) =>
      Effect.withFiberRuntime<Response, SendError>((fiber) => {
        let next: Effect.Effect<Response, SendError>
        if (res.status === 429 || res.status === 503) {
          const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
          const retryAfter = RetryPolicy.parseRetryAfter(res.headers, now)
          next = RetryPolicy.isRetryableStatus(res.status, retryAfter !== undefined)
            ? retryOrGiveUp(call, { status: res.status, retryAfter }, Either.right(res))
            : Effect.succeed(res)
        } else {
          next = RetryPolicy.isRetryableStatus(res.status, false)
            ? retryOrGiveUp(call, { status: res.status, retryAfter: undefined }, Either.right(res))
            : Effect.succeed(res)
        }
        return debugEnabled(fiber)
          ? Effect.zipRight(
            Effect.logDebug(`${call.ctx.operation}: ${call.request.method} ${vault.host} -> ${res.status}`),
            next
          )
          : next
      })

    const retryOrGiveUp = (
      call: Call,
      input: RetryPolicy.RetryInput,
      outcome: Either.Either<Response, SendError>
    ): Effect.Effect<Response, SendError> =>
      Effect.gen(function*() {
        if (call.driver === undefined) {
          // A RetryPolicy provided around a single call wins over the client's.
          const policy = Option.getOrElse(
            yield* Effect.serviceOption(RetryPolicy.RetryPolicy),
            () => options.retryPolicy
          )
          call.driver = yield* Schedule.driver(policy)
        }
        const next = yield* Effect.option(call.driver.next(input))
        if (Option.isNone(next)) {
          if (outcome._tag === "Left") return yield* outcome.left
          return outcome.right
        }
        if (outcome._tag === "Right") yield* drain(outcome.right)
        yield* Effect.logDebug(`${call.ctx.operation}: retrying after ${input.status ?? "transport error"}`)
        return yield* runAttempts(call)
      })

    const send = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) =>
      Effect.suspend(() => {
        const invalid = checkUrl(request.url, ctx)
        if (invalid !== undefined) return Effect.fail(invalid)
        const prepared = HttpClientRequest.setHeaders(request, {
          "x-ms-client-request-id": crypto.randomUUID(),
          ...staticHeaders
        })
        return runAttempts({ request, prepared, ctx, driver: undefined })
      })

    return { vaultUrl: options.vaultUrl, send }
  })

// ---------------------------------------------------------------------------------------------------------
// Responses → models or typed errors

const requestIdOf = (res: HttpClientResponse.HttpClientResponse) => res.headers["x-ms-request-id"]

// Built on first use: only error answers need it (saves its construction at import).
let keyVaultErrorDecoder: ((text: string) => Option.Option<typeof Wire.KeyVaultError.Type>) | undefined
const decodeKeyVaultError = (text: string) =>
  (keyVaultErrorDecoder ??= Schema.decodeUnknownOption(Schema.parseJson(Wire.KeyVaultError)))(text)

/**
 * Status → typed error, narrowed to `errors`. Only the service's code and message go into the error, never a
 * request body.
 */
const failForStatus = (
  vaultUrl: string,
  res: HttpClientResponse.HttpClientResponse,
  ctx: Ctx,
  errors: ReadonlyArray<Operation.StatusTag>
): Effect.Effect<never, SecretError.RequestErrors | SecretError.NotFound | SecretError.Forbidden | SecretError.Exists> =>
  Effect.catchIf(statusError(vaultUrl, res, ctx), (e): e is StatusErrors => isStatusTag(e) && !errors.includes(e._tag), (e) =>
    // A status this operation does not report by its own tag (e.g. 409 on a GET) is a generic HttpError.
    Effect.fail(
      new SecretError.HttpError({
        vault: e.vault,
        name: e.name,
        status: e.status,
        code: e.code,
        innerCode: e.innerCode,
        requestId: e.requestId,
        message: e.message
      })
    ))

type StatusErrors = SecretError.NotFound | SecretError.Forbidden | SecretError.Exists

const isStatusTag = (e: SecretError.RequestErrors | StatusErrors): e is StatusErrors =>
  e._tag === "NotFound" || e._tag === "Forbidden" || e._tag === "Exists"

/** How a 429 or 503 that said when to come back ended as an error. */
const retryAfterNote = (ra: Duration.Duration) =>
  `(Retry-After ${Duration.format(ra)}: retries exhausted, or a longer wait than the retry policy honours)`

const statusError = (
  vaultUrl: string,
  res: HttpClientResponse.HttpClientResponse,
  ctx: Ctx
): Effect.Effect<never, SecretError.RequestErrors | SecretError.NotFound | SecretError.Forbidden | SecretError.Exists> =>
  Effect.gen(function*() {
    const text = yield* Effect.orElseSucceed(res.text, () => "")
    const body = decodeKeyVaultError(text)
    const err = Option.isSome(body) ? body.value.error ?? undefined : undefined
    const code = err?.code ?? undefined
    const innerCode = err?.innererror?.code ?? undefined
    const serviceMessage = err?.message ?? `HTTP ${res.status}`
    const common = {
      vault: vaultUrl,
      name: ctx.name,
      status: res.status,
      code,
      innerCode,
      requestId: requestIdOf(res)
    }
    const prefix = `${ctx.operation}${ctx.name !== undefined ? ` '${ctx.name}'` : ""}: `
    switch (res.status) {
      case 401:
        return yield* new SecretError.Unauthorized({
          ...common,
          message: `${prefix}${serviceMessage} (check the credential's tenant and the token's audience)`
        })
      case 403:
        return yield* new SecretError.Forbidden({ ...common, message: `${prefix}${serviceMessage}` })
      case 404:
        return yield* new SecretError.NotFound({ ...common, message: `${prefix}${serviceMessage}` })
      case 409: {
        // The restore-conflict message itself mentions "being deleted", so it is checked first.
        const reason: SecretError.ConflictReason = innerCode === "ObjectIsDeletedButRecoverable" ||
            /deleted but recoverable/i.test(serviceMessage)
          ? "DeletedButRecoverable"
          : /conflict restoring/i.test(serviceMessage) || ctx.operation === "restoreSecretBackup"
          ? "RestoreConflict"
          : innerCode === "ObjectIsBeingDeleted" || /being deleted/i.test(serviceMessage)
          ? "BeingDeleted"
          : "Conflict"
        const hint = reason === "DeletedButRecoverable"
          ? " Recover it with recoverDeletedSecret or purge it with purgeDeletedSecret."
          : reason === "BeingDeleted" || reason === "RestoreConflict"
          ? " A delete or purge may still be in progress; retry shortly."
          : ""
        return yield* new SecretError.Exists({ ...common, reason, message: `${prefix}${serviceMessage}${hint}` })
      }
      case 429: {
        const now = yield* Clock.currentTimeMillis
        const ra = RetryPolicy.parseRetryAfter(res.headers, now)
        return yield* new SecretError.Throttled({
          ...common,
          retryAfterMs: ra === undefined ? undefined : Duration.toMillis(ra),
          // Only a 429 that says when to come back is retried (RetryPolicy.isRetryableStatus).
          message: `${prefix}${serviceMessage} ${ra === undefined ? "(not retried: no Retry-After)" : retryAfterNote(ra)}`
        })
      }
      default: {
        // A redirect that reaches the client is never followed here nor decoded as a model.
        const redirect = res.status >= 300 && res.status < 400
          ? ` (redirect${
            res.headers["location"] !== undefined ? ` to '${res.headers["location"]}'` : ""
          } not followed: Key Vault does not redirect)`
          : ""
        // A 503 that says when to come back keeps that, as a 429 does (Throttled.retryAfterMs).
        const ra = res.status === 503 ? RetryPolicy.parseRetryAfter(res.headers, yield* Clock.currentTimeMillis) : undefined
        return yield* new SecretError.HttpError({
          ...common,
          ...(ra === undefined ? {} : { retryAfterMs: Duration.toMillis(ra) }),
          message: `${prefix}${serviceMessage}${redirect}${ra === undefined ? "" : ` ${retryAfterNote(ra)}`}`
        })
      }
    }
  })

/**
 * The end of every described operation: an expected status → the decoded body (synchronously: the body is
 * in memory), anything else → the typed error of that status, narrowed to the operation's `errors`.
 */
export const complete = <A>(
  vaultUrl: string,
  res: Response,
  ctx: Ctx,
  expected: ReadonlyArray<number>,
  decode: Transform.Decoder<A> | undefined,
  errors: ReadonlyArray<Operation.StatusTag>
): Effect.Effect<
  A,
  SecretError.MalformedResponse | SecretError.RequestErrors | SecretError.NotFound | SecretError.Forbidden | SecretError.Exists
> => {
  if (!expected.includes(res.status)) return failForStatus(vaultUrl, res, ctx, errors)
  if (decode === undefined) return Effect.succeed(undefined as A)
  const text = res.unsafeText()
  let json: unknown
  try {
    json = text === "" ? null : JSON.parse(text)
  } catch {
    return Effect.fail(malformed(vaultUrl, res, ctx, "not JSON"))
  }
  const decoded = decode(json)
  return decoded._tag === "Right" ? Effect.succeed(decoded.right) : Effect.fail(malformed(vaultUrl, res, ctx, decoded.left))
}

const malformed = (vaultUrl: string, res: Response, ctx: Ctx, message: string) =>
  new SecretError.MalformedResponse({
    vault: vaultUrl,
    name: ctx.name,
    status: res.status,
    requestId: requestIdOf(res),
    message: `${ctx.operation}: unexpected response body: ${message}`
  })
