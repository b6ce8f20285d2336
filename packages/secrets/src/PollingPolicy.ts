/**
 * How delete/recover pollers wait between checks, and for how long in total.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

/**
 * @since 0.1.0
 * @category Models
 */
export type Policy = Schedule.Schedule<unknown, unknown>

/**
 * Optional override of the polling schedule. When absent, {@link defaultPolicy} is used.
 *
 * @since 0.1.0
 * @category Context
 */
export class PollingPolicy extends Context.Tag("@effect-keyvault/secrets/PollingPolicy")<PollingPolicy, Policy>() {}

/**
 * Poll every `interval`, for at most `maxWait` in total; when the schedule ends the poller fails with
 * `PollingTimeout`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: {
  readonly interval?: Duration.DurationInput | undefined
  readonly maxWait?: Duration.DurationInput | undefined
} = {}): Policy => Schedule.spaced(options.interval ?? "2 seconds").pipe(Schedule.upTo(options.maxWait ?? "5 minutes"))

/**
 * Every 2 s for up to 5 minutes.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const defaultPolicy: Policy = make()

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
export const layer = (policy: Policy): Layer.Layer<PollingPolicy> => Layer.succeed(PollingPolicy, policy)
