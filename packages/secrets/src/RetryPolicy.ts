/**
 * Which failures are retried and how long to wait. The schedule receives a {@link RetryInput} for every
 * retryable failure, so a custom schedule can look at the status and the service's `Retry-After` hint.
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
 */
export interface RetryInput {
  /** The response status, or `undefined` for a transport error / timeout. */
  readonly status: number | undefined
  /** The wait the service asked for (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`). */
  readonly retryAfter: Duration.Duration | undefined
}

/**
 * @since 0.1.0
 * @category Models
 */
export type Policy = Schedule.Schedule<unknown, RetryInput>

/**
 * Optional override of the retry schedule. When absent, {@link defaultPolicy} is used.
 *
 * @since 0.1.0
 * @category Context
 */
export class RetryPolicy extends Context.Tag("@effect-keyvault/secrets/RetryPolicy")<RetryPolicy, Policy>() {}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  readonly maxRetries?: number | undefined
  readonly baseDelay?: Duration.DurationInput | undefined
  readonly maxDelay?: Duration.DurationInput | undefined
}

/**
 * Exponential backoff (×2) with 50–100 % jitter, capped, bounded by `maxRetries`; a service
 * `Retry-After` replaces the computed delay. Defaults follow the Azure SDK: 3 retries, 1 s, 64 s cap.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Options = {}): Policy =>
  Schedule.exponential(options.baseDelay ?? "1 second", 2).pipe(
    Schedule.jitteredWith({ min: 0.5, max: 1 }),
    Schedule.union(Schedule.spaced(options.maxDelay ?? "64 seconds")),
    Schedule.intersect(Schedule.recurs(options.maxRetries ?? 3)),
    Schedule.zipRight(Schedule.identity<RetryInput>()),
    Schedule.modifyDelay((input, delay) => input.retryAfter ?? delay)
  )

/**
 * @since 0.1.0
 * @category Constructors
 */
export const defaultPolicy: Policy = make()

/**
 * Never retry.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const none: Policy = Schedule.stop

/**
 * Alias of {@link defaultPolicy}.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const defaultSchedule: Policy = defaultPolicy

/**
 * @since 0.1.0
 * @category Layers
 */
export const layer = (policy: Policy): Layer.Layer<RetryPolicy> => Layer.succeed(RetryPolicy, policy)

/**
 * The status rule: 408, 5xx except 501/505, and 429/503 when the service gave a retry hint.
 * Every other 4xx is final.
 *
 * @since 0.1.0
 * @category Guards
 */
export const isRetryableStatus = (status: number, hasRetryAfter: boolean): boolean => {
  if (status === 429) return hasRetryAfter
  if (status === 408) return true
  if (status >= 500) return status !== 501 && status !== 505
  return false
}

/**
 * Read the retry hint from response headers (`retry-after-ms`, `x-ms-retry-after-ms`, then
 * `retry-after` in seconds or as an HTTP date).
 *
 * @since 0.1.0
 * @category Constructors
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
    const date = Date.parse(ra)
    if (!Number.isNaN(date)) return Duration.millis(Math.max(0, date - nowMillis))
  }
  return undefined
}
