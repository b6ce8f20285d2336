/**
 * How delete/recover pollers wait between checks, and for how long in total.
 *
 * @example
 * ```ts
 * import { PollingPolicy, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Wait at most 30 s for a delete, checking every 500 ms
 * const remove = Effect.flatMap(SecretClient.SecretClient, (client) => client.deleteSecret("old-key")).pipe(
 *   Effect.provideService(PollingPolicy.PollingPolicy, PollingPolicy.make({ interval: "500 millis", maxWait: "30 seconds" }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

/**
 * A schedule driving the polls; when it ends the poller gives up.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { PollingPolicy } from "@effect-keyvault/secrets"
 * import { Schedule } from "effect"
 *
 * // Any Schedule works: here exponential backoff, at most 10 checks
 * const policy: PollingPolicy.Policy = Schedule.exponential("500 millis").pipe(Schedule.intersect(Schedule.recurs(10)))
 * ```
 */
export type Policy = Schedule.Schedule<unknown, unknown>

/**
 * Optional override of the polling schedule. When absent, {@link defaultPolicy} is used.
 *
 * @since 0.1.0
 * @category Context
 *
 * @example
 * ```ts
 * import { PollingPolicy, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Poll quickly for this one call only
 * const remove = Effect.flatMap(SecretClient.SecretClient, (client) => client.deleteSecret("old-key")).pipe(
 *   Effect.provideService(PollingPolicy.PollingPolicy, PollingPolicy.make({ interval: "100 millis", maxWait: "10 seconds" }))
 * )
 * ```
 */
export class PollingPolicy extends Context.Tag("@effect-keyvault/secrets/PollingPolicy")<PollingPolicy, Policy>() {}

/**
 * Poll every `interval`, for at most `maxWait` in total; when the schedule ends the poller fails with
 * `PollingTimeout`.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { PollingPolicy, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { Layer } from "effect"
 *
 * // Emulators finish at once: poll fast and give up early
 * const FastPolling = PollingPolicy.layer(PollingPolicy.make({ interval: "50 millis", maxWait: "5 seconds" }))
 * ```
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
 *
 * @example
 * ```ts
 * import { PollingPolicy, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Restore the default inside a scope that overrode it
 * const remove = Effect.flatMap(SecretClient.SecretClient, (c) => c.deleteSecret("k")).pipe(
 *   Effect.provideService(PollingPolicy.PollingPolicy, PollingPolicy.defaultPolicy)
 * )
 * ```
 */
export const defaultPolicy: Policy = make()

/**
 * Alias of {@link defaultPolicy}.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { PollingPolicy } from "@effect-keyvault/secrets"
 *
 * const DefaultPolling = PollingPolicy.layer(PollingPolicy.defaultSchedule)
 * ```
 */
export const defaultSchedule: Policy = defaultPolicy

/**
 * A layer providing a polling policy to the client.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { PollingPolicy, SecretClient } from "@effect-keyvault/secrets"
 * import { Layer } from "effect"
 *
 * // Every client built from this layer polls every second for up to a minute
 * const ClientLive = (base: Layer.Layer<SecretClient.SecretClient>) =>
 *   Layer.provide(base, PollingPolicy.layer(PollingPolicy.make({ interval: "1 second", maxWait: "1 minute" })))
 * ```
 */
export const layer = (policy: Policy): Layer.Layer<PollingPolicy> => Layer.succeed(PollingPolicy, policy)
