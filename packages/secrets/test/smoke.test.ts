import { it } from "@effect/vitest"
import { Effect } from "effect"

it.effect("workspace runs Effect tests", () => Effect.gen(function*() {
  const n = yield* Effect.succeed(1 + 1)
  if (n !== 2) throw new Error("arith")
}))
