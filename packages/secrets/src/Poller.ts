/**
 * Handles for long-running delete/recover operations: await them now, or serialise the state and resume
 * later (`beginDeleteSecret(name, { resumeFrom })`).
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Start a delete, keep the serialised state (e.g. in a job queue), resume later
 * const start = Effect.flatMap(SecretClient.SecretClient, (client) => client.beginDeleteSecret("old-key")).pipe(
 *   Effect.flatMap((poller) => poller.serialize)
 * )
 * const finish = (saved: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.beginDeleteSecret("old-key", { resumeFrom: saved })).pipe(
 *     Effect.flatMap((poller) => poller.pollUntilDone)
 *   )
 * ```
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
 *
 * @example
 * ```ts
 * import { Poller, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const inspect = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const poller = yield* client.beginDeleteSecret("old-key")
 *   const state: Poller.PollerState = yield* poller.state
 *   return `${state.operation} ${state.name}: ${state.isCompleted ? "done" : "running"}`
 * })
 * ```
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
 *
 * @example
 * ```ts
 * import { Poller } from "@effect-keyvault/secrets"
 * import { Schema } from "effect"
 *
 * const saved = JSON.stringify({ operation: "delete", vaultUrl: "https://v.vault.azure.net", name: "k", isCompleted: false })
 * const state = Schema.decodeUnknownSync(Poller.PollerStateFromJson)(saved)
 * assert.deepStrictEqual([state.operation, state.isCompleted], ["delete", false])
 * ```
 */
export const PollerStateFromJson = Schema.parseJson(PollerState)

/**
 * A handle on a running delete or recover operation.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Delete, do other work, then wait for the service to finish
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const poller = yield* client.beginDeleteSecret("old-key")
 *   const doneAlready = yield* poller.poll
 *   const deleted = doneAlready ? poller.result : yield* poller.pollUntilDone
 *   return deleted.recoveryId
 * })
 * ```
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
