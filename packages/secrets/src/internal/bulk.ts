/**
 * Bulk reads: many `getSecret`s under one concurrency budget, one result per name. The pipeline shares one
 * challenge (single-flight probe) and one token among them.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import type { KeyVaultSecret } from "../KeyVaultSecret.js"
import * as SecretError from "../SecretError.js"

export const defaultConcurrency = 8
/** More parallel reads than this gain nothing against a vault's per-second limit and only risk 429s. */
export const maxConcurrency = 256

export interface Result<E> {
  readonly name: string
  readonly result: Either.Either<KeyVaultSecret, E>
}

export const checkConcurrency = (
  vault: string,
  concurrency: number | undefined
): Effect.Effect<number, SecretError.InvalidArgument> => {
  if (concurrency === undefined) return Effect.succeed(defaultConcurrency)
  if (Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= maxConcurrency) {
    return Effect.succeed(concurrency)
  }
  return Effect.fail(
    new SecretError.InvalidArgument({
      vault,
      name: undefined,
      argument: "concurrency",
      message: `concurrency must be an integer in 1..${maxConcurrency}.`
    })
  )
}

/** One read per distinct name (Key Vault names are case-insensitive); results in input order. */
export const getAll = <E>(
  vault: string,
  getSecret: (name: string) => Effect.Effect<KeyVaultSecret, E>,
  names: Iterable<string>,
  concurrency: number | undefined
): Effect.Effect<ReadonlyArray<Result<E>>, SecretError.InvalidArgument> =>
  Effect.flatMap(checkConcurrency(vault, concurrency), (n) => {
    // A string is an Iterable<string> too: one name, not one read per character.
    const list = typeof names === "string" ? [names] : Array.from(names)
    const distinct = new Map<string, string>()
    for (const name of list) if (!distinct.has(name.toLowerCase())) distinct.set(name.toLowerCase(), name)
    return Effect.forEach(
      distinct,
      ([key, name]) => Effect.map(Effect.either(getSecret(name)), (result) => [key, result] as const),
      { concurrency: n }
    ).pipe(
      Effect.map((entries) => {
        const byKey = new Map(entries)
        return list.map((name): Result<E> => ({ name, result: byKey.get(name.toLowerCase())! }))
      })
    )
  })

/** The streaming form: names may come from a stream (a listing), results flow out in input order. */
export const stream = <E, E2, R>(
  vault: string,
  getSecret: (name: string) => Effect.Effect<KeyVaultSecret, E>,
  names: Iterable<string> | Stream.Stream<string, E2, R>,
  concurrency: number | undefined
): Stream.Stream<Result<E>, E2 | SecretError.InvalidArgument, R> =>
  Stream.unwrap(Effect.map(checkConcurrency(vault, concurrency), (n) =>
    (typeof names === "string"
      ? Stream.make(names)
      : Stream.StreamTypeId in names
      ? names
      : Stream.fromIterable(names)).pipe(
      Stream.mapEffect(
        (name) => Effect.map(Effect.either(getSecret(name)), (result): Result<E> => ({ name, result })),
        { concurrency: n }
      )
    )))
