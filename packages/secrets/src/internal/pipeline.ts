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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Credential from "../Credential.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as SecretError from "../SecretError.js"
import * as Challenge from "./challenge.js"
import * as Redaction from "./redaction.js"
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

export interface Pipeline {
  readonly vaultUrl: string
  readonly send: (
    request: HttpClientRequest.HttpClientRequest,
    ctx: Ctx
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, SendError>
}

const headerOf = (res: HttpClientResponse.HttpClientResponse, name: string): string | undefined => res.headers[name]

// `text` is cached by the response, and every internal reader goes through it.
const drain = (res: HttpClientResponse.HttpClientResponse) => Effect.ignore(res.text)

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
  Effect.gen(function*() {
    // Spans and errors of every exchange hold sanitised copies only (no token, no body): internal/redaction.ts.
    const http = Redaction.wrap(transport)
    const vault = new URL(options.vaultUrl)
    const vaultPath = vault.pathname.replace(/\/+$/, "")
    const challengeRef = yield* Ref.make(Option.none<ChallengeState>())
    const tokenRef = yield* SynchronizedRef.make(Option.none<CachedToken>())
    const firstProbe = yield* Effect.makeSemaphore(1)

    const credentialError = (ctx: Ctx, e: Credential.TokenError) =>
      new SecretError.CredentialError({
        vault: options.vaultUrl,
        name: ctx.name,
        message: `${ctx.operation}: ${e.message}`,
        cause: e.cause
      })

    // One refresh at a time: concurrent callers wait on the same SynchronizedRef update and reuse its token.
    // The common case, a cached token outside its refresh window, is read without taking the lock.
    const getToken = (state: ChallengeState, ctx: Ctx, claims?: string) =>
      claims !== undefined ? lockedGetToken(state, ctx, claims) : Effect.flatMap(
        Effect.zip(SynchronizedRef.get(tokenRef), Clock.currentTimeMillis),
        ([current, now]) => {
          if (Option.isSome(current) && current.value.key === state.tokenKey) {
            const t = current.value.token
            const refreshAt = t.refreshAfterTimestamp ?? t.expiresOnTimestamp - refreshWindowMs
            if (now < refreshAt && now < t.expiresOnTimestamp - forcedWindowMs) return Effect.succeed(t)
          }
          return lockedGetToken(state, ctx, claims)
        }
      )

    const lockedGetToken = (state: ChallengeState, ctx: Ctx, claims?: string) =>
      SynchronizedRef.modifyEffect(tokenRef, (current) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const key = state.tokenKey
          const usable = claims === undefined && Option.isSome(current) && current.value.key === key &&
              now < current.value.token.expiresOnTimestamp - forcedWindowMs
            ? current.value
            : undefined
          if (usable !== undefined) {
            const t = usable.token
            const refreshAt = t.refreshAfterTimestamp ?? t.expiresOnTimestamp - refreshWindowMs
            if (now < refreshAt) return [t, current] as const
            // A refresh failed moments ago: keep the still-valid token instead of hammering the credential.
            if (usable.backoffUntil !== undefined && now < usable.backoffUntil) return [t, current] as const
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
            return [fresh.right, Option.some<CachedToken>({ key, token: fresh.right })] as const
          }
          // A failed proactive refresh keeps the still-valid token.
          if (usable !== undefined) {
            yield* Effect.logWarning("Token refresh failed; using the cached token until it expires")
            return [usable.token, Option.some<CachedToken>({ ...usable, backoffUntil: now + refreshRetryMs })] as const
          }
          return yield* Effect.fail(credentialError(ctx, fresh.left))
        }))

    const execute = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) => {
      // The body is read inside (Redaction.wrap), within the timeout, so a stalled body fails the attempt
      // (and is retried) instead of hanging a later `res.json`; the response is readable in every form.
      const run = withoutRedirects(http.execute(request)).pipe(
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
    const acceptChallenge = (c: Challenge.Challenge, ctx: Ctx) =>
      Effect.gen(function*() {
        const scope = Challenge.scopeOf(c)
        if (scope === undefined) return Option.none<ChallengeState>()
        if (options.verifyChallengeResource) {
          const verdict = Challenge.verifyResource(vault, scope)
          if (verdict === "invalid") {
            return yield* challengeError(ctx, "InvalidChallenge", `The challenge contains invalid scope '${scope}'.`)
          }
          if (verdict === "mismatch") {
            return yield* challengeError(
              ctx,
              "ResourceMismatch",
              `The challenge resource '${
                new URL(scope).host
              }' does not match the requested domain '${vault.host}' (the vault host must end with '.' + the resource host, on the same port). Set verifyChallengeResource: false in the client options to disable this check. See https://aka.ms/azsdk/blog/vault-uri for more information.`
            )
          }
        }
        const state: ChallengeState = { scope, tenantId: c.tenantId, tokenKey: `${c.tenantId ?? ""}|${scope}` }
        yield* Ref.set(challengeRef, Option.some(state))
        return Option.some(state)
      })

    const authorize = (request: HttpClientRequest.HttpClientRequest, token: Credential.AccessToken) =>
      HttpClientRequest.bearerToken(request, token.token)

    const sendAuthorized = (
      request: HttpClientRequest.HttpClientRequest,
      state: ChallengeState,
      ctx: Ctx,
      allowNewChallenge: boolean
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, SendError> =>
      Effect.gen(function*() {
        const token = yield* getToken(state, ctx)
        const res = yield* execute(authorize(request, token), ctx)
        if (res.status !== 401) return res
        const header = headerOf(res, "www-authenticate")
        if (header === undefined) {
          // A 401 without a challenge: forget the cached one so the next request starts over.
          yield* Ref.set(challengeRef, Option.none())
          return res
        }
        const c = Challenge.parseWWWAuthenticate(header)
        if (c.error === "insufficient_claims" && c.claims !== undefined) {
          yield* drain(res)
          yield* Effect.logDebug("CAE insufficient_claims challenge; retrying once with claims")
          const claimsToken = yield* getToken(state, ctx, Challenge.decodeClaims(c.claims))
          // Only one CAE round: a second challenge goes back to the caller as 401.
          return yield* execute(authorize(request, claimsToken), ctx)
        }
        if (allowNewChallenge) {
          const next = yield* acceptChallenge(c, ctx)
          if (Option.isSome(next)) {
            yield* drain(res)
            return yield* sendAuthorized(request, next.value, ctx, false)
          }
        }
        return res
      })

    type Probed =
      | { readonly _tag: "Response"; readonly res: HttpClientResponse.HttpClientResponse }
      | { readonly _tag: "Challenge"; readonly state: ChallengeState; readonly fresh: boolean }

    const probedResponse = (res: HttpClientResponse.HttpClientResponse): Probed => ({ _tag: "Response", res })
    const probedChallenge = (state: ChallengeState, fresh: boolean): Probed => ({ _tag: "Challenge", state, fresh })

    // First request of this client: no token, no body; the 401 challenge says where to get a token.
    const probeOnce = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) =>
      Effect.gen(function*() {
        // Another fiber's probe may have finished while this one waited for the lock.
        const again = yield* Ref.get(challengeRef)
        if (Option.isSome(again)) return probedChallenge(again.value, false)
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
        if (Option.isNone(accepted)) return probedResponse(res)
        yield* drain(res)
        return probedChallenge(accepted.value, true)
      })

    const attempt = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) =>
      Effect.gen(function*() {
        const known = yield* Ref.get(challengeRef)
        if (Option.isSome(known)) return yield* sendAuthorized(request, known.value, ctx, true)
        // Single flight: N concurrent first requests (a bulk read at start-up) wait for one probe and share
        // its challenge, instead of each paying a 401 round trip.
        const probed = yield* firstProbe.withPermits(1)(probeOnce(request, ctx))
        if (probed._tag === "Response") return probed.res
        // A challenge this attempt just accepted is not re-negotiated on a second 401.
        return yield* sendAuthorized(request, probed.state, ctx, !probed.fresh)
      })

    const checkUrl = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) =>
      Effect.gen(function*() {
        let url: URL
        try {
          url = new URL(request.url)
        } catch {
          return yield* new SecretError.TransportError({
            vault: options.vaultUrl,
            name: ctx.name,
            reason: "InvalidUrl",
            message: `${ctx.operation}: invalid request URL`
          })
        }
        if (url.protocol === "http:") {
          if (!(options.allowInsecureLoopback && Challenge.isLoopback(url.hostname))) {
            return yield* challengeError(
              ctx,
              "InsecureUrl",
              `Refusing to send a bearer token over plain HTTP to '${url.host}'. Key Vault requires HTTPS; ` +
                `plain HTTP is allowed only to a loopback address with allowInsecureLoopback: true.`
            )
          }
        } else if (url.protocol !== "https:") {
          return yield* challengeError(ctx, "InsecureUrl", `Unsupported URL scheme '${url.protocol}'.`)
        }
        if (url.protocol !== vault.protocol || url.host !== vault.host) {
          return yield* challengeError(
            ctx,
            "ForeignHost",
            `Refusing to send a request for vault '${vault.host}' to another host '${url.host}'.`
          )
        }
        // A vault behind a path-based gateway: every request (nextLink included) stays under its path, where
        // another path on the same host may be another backend.
        if (vaultPath !== "" && url.pathname !== vaultPath && !url.pathname.startsWith(`${vaultPath}/`)) {
          return yield* challengeError(
            ctx,
            "ForeignHost",
            `Refusing to send a request for vault '${vault.host}${vaultPath}' outside its path ('${url.pathname}').`
          )
        }
      })

    const send = (request: HttpClientRequest.HttpClientRequest, ctx: Ctx) =>
      Effect.gen(function*() {
        yield* checkUrl(request, ctx)
        const prepared = request.pipe(
          HttpClientRequest.setHeaders({
            "x-ms-client-request-id": crypto.randomUUID(),
            "user-agent": options.userAgent,
            accept: "application/json"
          })
        )
        // A RetryPolicy provided around a single call wins over the client's.
        // Built on the first retryable failure only: most requests succeed at once.
        let driver: Schedule.ScheduleDriver<unknown, RetryPolicy.RetryInput> | undefined
        while (true) {
          const outcome = yield* Effect.either(attempt(prepared, ctx))
          let input: RetryPolicy.RetryInput
          if (outcome._tag === "Left") {
            if (outcome.left._tag !== "TransportError") return yield* outcome.left
            input = { status: undefined, retryAfter: undefined }
          } else {
            const res = outcome.right
            const retryAfter = res.status === 429 || res.status === 503
              ? RetryPolicy.parseRetryAfter(res.headers, yield* Clock.currentTimeMillis)
              : undefined
            yield* Effect.logDebug(`${ctx.operation}: ${request.method} ${vault.host} -> ${res.status}`)
            if (!RetryPolicy.isRetryableStatus(res.status, retryAfter !== undefined)) return res
            input = { status: res.status, retryAfter }
          }
          if (driver === undefined) {
            const policy = Option.getOrElse(
              yield* Effect.serviceOption(RetryPolicy.RetryPolicy),
              () => options.retryPolicy
            )
            driver = yield* Schedule.driver(policy)
          }
          const next = yield* Effect.option(driver.next(input))
          if (Option.isNone(next)) {
            if (outcome._tag === "Left") return yield* outcome.left
            return outcome.right
          }
          if (outcome._tag === "Right") yield* drain(outcome.right)
          yield* Effect.logDebug(`${ctx.operation}: retrying after ${input.status ?? "transport error"}`)
        }
      })

    return { vaultUrl: options.vaultUrl, send }
  })

// ---------------------------------------------------------------------------------------------------------
// Responses → models or typed errors

const requestIdOf = (res: HttpClientResponse.HttpClientResponse) => res.headers["x-ms-request-id"]

const decodeKeyVaultError = Schema.decodeUnknownOption(Schema.parseJson(Wire.KeyVaultError))

/** Status → typed error. Only the service's code and message go into the error, never a request body. */
export const failForStatus = (
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
          message: `${prefix}${serviceMessage} ${
            ra === undefined
              ? "(not retried: no Retry-After)"
              : `(Retry-After ${Duration.format(ra)}: retries exhausted, or a longer wait than the retry policy honours)`
          }`
        })
      }
      default: {
        // A redirect that reaches the client is never followed here nor decoded as a model.
        const redirect = res.status >= 300 && res.status < 400
          ? ` (redirect${
            res.headers["location"] !== undefined ? ` to '${res.headers["location"]}'` : ""
          } not followed: Key Vault does not redirect)`
          : ""
        return yield* new SecretError.HttpError({ ...common, message: `${prefix}${serviceMessage}${redirect}` })
      }
    }
  })

/** Describe a ParseError by paths and issue kinds only: decoded input may contain a secret value. */
const describeParseError = (e: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(e)
    .slice(0, 5)
    .map((i) => `${i.path.length === 0 ? "<root>" : i.path.join(".")}: ${i._tag}`)
    .join("; ")

/** Expect `expected` and decode the JSON body with `schema`; anything else is a typed error. */
export const decodeResponse = <A, I>(
  vaultUrl: string,
  res: HttpClientResponse.HttpClientResponse,
  ctx: Ctx,
  schema: Schema.Schema<A, I>,
  expected: ReadonlyArray<number> = [200]
) =>
  Effect.gen(function*() {
    if (!expected.includes(res.status)) return yield* failForStatus(vaultUrl, res, ctx)
    const malformed = (message: string) =>
      new SecretError.MalformedResponse({
        vault: vaultUrl,
        name: ctx.name,
        status: res.status,
        requestId: requestIdOf(res),
        message: `${ctx.operation}: unexpected response body: ${message}`
      })
    const json = yield* res.json.pipe(Effect.mapError(() => malformed("not JSON")))
    return yield* Schema.decodeUnknown(schema)(json).pipe(
      Effect.mapError((e) => malformed(describeParseError(e)))
    )
  })

/** Expect a status with no interesting body. */
export const expectStatus = (
  vaultUrl: string,
  res: HttpClientResponse.HttpClientResponse,
  ctx: Ctx,
  expected: ReadonlyArray<number>
) =>
  expected.includes(res.status) ? drain(res) : failForStatus(vaultUrl, res, ctx)
