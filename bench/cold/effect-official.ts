// Cold start: an Effect program wrapping the official SDK.
import { SecretClient } from "@azure/keyvault-secrets"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const credential = { getToken: async () => ({ token: "bench-token", expiresOnTimestamp: Date.now() + 3_600_000 }) }
const program = Effect.gen(function*() {
  const client = new SecretClient(process.env.BENCH_URL!, credential, { disableChallengeResourceVerification: true })
  const secret = yield* Effect.tryPromise(() => client.getSecret("bench-00000"))
  yield* Console.log(secret.value)
})
Effect.runPromise(program).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
