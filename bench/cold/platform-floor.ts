// Bundle floor: Effect + @effect/platform's FetchHttpClient reading one secret by hand (bearer token, no challenge,
// no Schema of its own). Whatever a client built on @effect/platform's HttpClient weighs at least. Not a cold-start
// program of bench/extras.ts; bench/bundle.ts measures it.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const program = Effect.gen(function*() {
  const http = yield* HttpClient.HttpClient
  const res = yield* http.get(`${process.env.BENCH_URL!}/secrets/bench-00000?api-version=2026-04-01`, {
    headers: { authorization: "Bearer bench-token" }
  })
  const body = (yield* res.json) as { readonly value: string }
  yield* Console.log(body.value)
}).pipe(Effect.provide(FetchHttpClient.layer))
Effect.runPromise(program).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
