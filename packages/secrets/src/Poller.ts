/**
 * Handles for long-running delete/recover operations: await them now, or serialise the state and resume
 * later (`beginDeleteSecret(name, { resumeFrom })`).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * The serialisable state of a poller. `result` is the wire form of the latest known result, without any
 * secret value.
 *
 * @since 0.1.0
 * @category Models
 */
export class PollerState extends Schema.Class<PollerState>("@effect-keyvault/secrets/PollerState")({
  operation: Schema.Literal("delete", "recover"),
  vaultUrl: Schema.String,
  name: Schema.String,
  isCompleted: Schema.Boolean,
  result: Schema.optional(Schema.Unknown)
}) {}

/**
 * JSON string ⇄ PollerState.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const PollerStateFromJson = Schema.parseJson(PollerState)

/**
 * @since 0.1.0
 * @category Models
 */
export interface Poller<A, E> {
  readonly operation: "delete" | "recover"
  readonly name: string
  /** The result as known when the handle was created (from the initial response, or the resumed state). */
  readonly result: A
  /** One status check. `true` once the service has finished. */
  readonly poll: Effect.Effect<boolean, E>
  /** Poll with the PollingPolicy until done; fails with `PollingTimeout` when the schedule ends first. */
  readonly pollUntilDone: Effect.Effect<A, E>
  /** The current state, for `resumeFrom`. */
  readonly state: Effect.Effect<PollerState>
  /** The current state as a JSON string, for `resumeFrom`. */
  readonly serialize: Effect.Effect<string>
}
