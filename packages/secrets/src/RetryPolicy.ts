/**
 * Which failures are retried and how long to wait. The schedule receives a {@link RetryInput} for every
 * retryable failure, so a custom schedule can look at the status and the service's `Retry-After` hint.
 *
 * @example
 * ```ts
 * import { RetryPolicy, SecretClient } from "@effect-keyvault/secrets"
 * import { Layer } from "effect"
 *
 * assert.strictEqual(RetryPolicy.isRetryableStatus(503, false), true)
 * assert.strictEqual(RetryPolicy.isRetryableStatus(400, true), false)
 *
 * // Five retries for every client built under this layer
 * const withRetries = (client: Layer.Layer<SecretClient.SecretClient>) =>
 *   Layer.provide(client, RetryPolicy.layer(RetryPolicy.make({ maxRetries: 5 })))
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

/**
 * What the schedule sees for each retryable failure.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 * import { Duration, Schedule } from "effect"
 *
 * // Retry at most 5 times, honour Retry-After, but never wait more than 10 s for it
 * const policy: RetryPolicy.Policy = Schedule.recurs(5).pipe(
 *   Schedule.zipRight(Schedule.identity<RetryPolicy.RetryInput>()),
 *   Schedule.addDelay((input) => Duration.min(input.retryAfter ?? Duration.seconds(1), Duration.seconds(10)))
 * )
 * ```
 */
export interface RetryInput {
  /** The response status, or `undefined` for a transport error / timeout. */
  readonly status: number | undefined
  /** The wait the service asked for (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`). */
  readonly retryAfter: Duration.Duration | undefined
}

/**
 * A schedule fed with a {@link RetryInput} per retryable failure; when it ends the last failure is returned.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 * import { Schedule } from "effect"
 *
 * // Fixed one-second spacing, three retries, ignoring the service hints
 * const steady: RetryPolicy.Policy = Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))
 * ```
 */
export type Policy = Schedule.Schedule<unknown, RetryInput>

/**
 * Optional override of the retry schedule. When absent, {@link defaultPolicy} is used.
 *
 * @since 0.1.0
 * @category Context
 *
 * @example
 * ```ts
 * import { RetryPolicy, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // No retries for this one read: fail fast if the vault is throttling
 * const once = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(
 *   Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.none)
 * )
 * ```
 */
export class RetryPolicy extends Context.Tag("@effect-keyvault/secrets/RetryPolicy")<RetryPolicy, Policy>() {}

/**
 * Settings for {@link make}.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 *
 * const options: RetryPolicy.Options = {
 *   maxRetries: 5,
 *   baseDelay: "200 millis",
 *   maxDelay: "10 seconds",
 *   maxRetryAfter: "30 seconds" // a longer Retry-After fails as Throttled instead of waiting
 * }
 * const Retry = RetryPolicy.layer(RetryPolicy.make(options))
 * ```
 */
export interface Options {
  readonly maxRetries?: number | undefined
  readonly baseDelay?: Duration.DurationInput | undefined
  readonly maxDelay?: Duration.DurationInput | undefined
  /**
   * The longest service-requested wait (`Retry-After` and friends) that is honoured. A longer one is not waited
   * for: the call fails at once (a 429 as `Throttled` with `retryAfterMs`), so the caller decides.
   * Default: {@link defaultMaxRetryAfter} (60 s).
   */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * The default cap on an honoured `Retry-After`: 60 seconds.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 * import { Duration } from "effect"
 *
 * assert.strictEqual(Duration.toSeconds(RetryPolicy.defaultMaxRetryAfter), 60)
 * ```
 */
export const defaultMaxRetryAfter: Duration.Duration = Duration.seconds(60)

/**
 * Exponential backoff (×2) with 50–100 % jitter, capped, bounded by `maxRetries`; a service
 * `Retry-After` replaces the computed delay, up to `maxRetryAfter` (a longer one ends the retries).
 * Defaults follow the Azure SDK: 3 retries, 1 s, 64 s cap; `Retry-After` honoured up to 60 s.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 *
 * // More patient than the default: 6 retries starting at 2 s
 * const patient = RetryPolicy.make({ maxRetries: 6, baseDelay: "2 seconds" })
 * const RetryLive = RetryPolicy.layer(patient)
 * ```
 */
export const make = (options: Options = {}): Policy => {
  const cap = options.maxRetryAfter === undefined ? defaultMaxRetryAfter : Duration.decode(options.maxRetryAfter)
  return Schedule.exponential(options.baseDelay ?? "1 second", 2).pipe(
    Schedule.jitteredWith({ min: 0.5, max: 1 }),
    Schedule.union(Schedule.spaced(options.maxDelay ?? "64 seconds")),
    Schedule.intersect(Schedule.recurs(options.maxRetries ?? 3)),
    Schedule.zipRight(Schedule.identity<RetryInput>()),
    // A wait beyond the cap is not honoured: one call must not sleep for an hour because a server said so.
    Schedule.whileInput((input: RetryInput) =>
      input.retryAfter === undefined || Duration.lessThanOrEqualTo(input.retryAfter, cap)
    ),
    Schedule.modifyDelay((input, delay) => input.retryAfter ?? delay)
  )
}

/**
 * `make()`: 3 retries, 1 s base delay, 64 s cap, `Retry-After` honoured up to 60 s.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 *
 * const DefaultRetry = RetryPolicy.layer(RetryPolicy.defaultPolicy)
 * ```
 */
export const defaultPolicy: Policy = make()

/**
 * Never retry.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 * import { Layer } from "effect"
 *
 * // Tests against the emulator: surface every failure immediately
 * const NoRetry: Layer.Layer<RetryPolicy.RetryPolicy> = RetryPolicy.layer(RetryPolicy.none)
 * ```
 */
export const none: Policy = Schedule.stop

/**
 * Alias of {@link defaultPolicy}.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 *
 * assert.strictEqual(RetryPolicy.defaultSchedule, RetryPolicy.defaultPolicy)
 * ```
 */
export const defaultSchedule: Policy = defaultPolicy

/**
 * A layer providing a retry policy to the client.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { RetryPolicy, SecretClient } from "@effect-keyvault/secrets"
 * import { Layer } from "effect"
 *
 * const withRetries = (client: Layer.Layer<SecretClient.SecretClient>) =>
 *   Layer.provide(client, RetryPolicy.layer(RetryPolicy.make({ maxRetries: 5 })))
 * ```
 */
export const layer = (policy: Policy): Layer.Layer<RetryPolicy> => Layer.succeed(RetryPolicy, policy)

/**
 * The status rule: 408 and 5xx except 501/505 always; 429 only when the service gave a retry hint.
 * Every other 4xx is final.
 *
 * @since 0.1.0
 * @category Guards
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 *
 * assert.deepStrictEqual(RetryPolicy.isRetryableStatus(503, false), true)
 * assert.strictEqual(RetryPolicy.isRetryableStatus(429, false), false) // no Retry-After hint
 * assert.deepStrictEqual(RetryPolicy.isRetryableStatus(404, false), false)
 * ```
 */
export const isRetryableStatus = (status: number, hasRetryAfter: boolean): boolean => {
  if (status === 429) return hasRetryAfter
  if (status === 408) return true
  if (status >= 500) return status !== 501 && status !== 505
  return false
}

/**
 * Read the retry hint from response headers (`retry-after-ms`, `x-ms-retry-after-ms`, then
 * `retry-after` in seconds or as an HTTP date; a date in the past is 0). Negative, non-numeric or
 * unparseable values count as absent (`-5` is not a date).
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@effect-keyvault/secrets"
 * import { Duration } from "effect"
 *
 * const wait = RetryPolicy.parseRetryAfter({ "retry-after": "2" }, Date.now())
 * assert.deepStrictEqual(wait && Duration.toMillis(wait), 2000)
 * assert.strictEqual(RetryPolicy.parseRetryAfter({ "retry-after": "-5" }, Date.now()), undefined)
 * ```
 */
export const parseRetryAfter = (
  headers: Readonly<Record<string, string | undefined>>,
  nowMillis: number
): Duration.Duration | undefined => {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const v = headers[name]
    if (v !== undefined && v.trim() !== "") {
      const n = Number(v)
      if (Number.isFinite(n) && n >= 0) return Duration.millis(n)
    }
  }
  const ra = headers["retry-after"]
  if (ra !== undefined && ra.trim() !== "") {
    const n = Number(ra)
    if (Number.isFinite(n) && n >= 0) return Duration.seconds(n)
    // Only an HTTP-date (it starts with a day name): Date.parse also reads "-5" or "2" as years.
    if (/^[A-Za-z]{3,9},? /.test(ra.trim())) {
      const date = Date.parse(ra)
      if (!Number.isNaN(date)) return Duration.millis(Math.max(0, date - nowMillis))
    }
  }
  return undefined
}
