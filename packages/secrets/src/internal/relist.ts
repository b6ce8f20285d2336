/**
 * Periodic re-listing for `SecretConfigProvider`'s refresh. Stand-in until the provider can follow `watch`
 * (a change stream on `SecretClient`): `step` runs every `interval` in the surrounding scope; a failed step
 * keeps the previous state and is logged at debug level (never with values).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"

/** @internal */
export const every = <E>(
  interval: Duration.DurationInput,
  step: Effect.Effect<void, E>
): Effect.Effect<void, never, Scope.Scope> =>
  step.pipe(
    Effect.catchAllCause((cause) => Effect.logDebug("SecretConfigProvider refresh failed; keeping the last values", cause)),
    Effect.repeat(Schedule.spaced(Duration.decode(interval))),
    Effect.delay(Duration.decode(interval)),
    Effect.forkScoped,
    Effect.asVoid
  )
