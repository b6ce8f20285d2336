import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import { SecretClient } from "../../secrets/src/index.js"
import { Emulator, TestVault } from "../src/index.js"

const VAULT = "https://emulator.vault.azure.net"
const request = (method: string, path: string, body?: unknown) =>
  new Request(`${VAULT}${path}?api-version=7.6`, {
    method,
    headers: { authorization: "Bearer t", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })

describe("emulator throttling", () => {
  it.scoped("answers 429 Throttled with Retry-After once a budget is spent; CREATE has its own budget", () =>
    Effect.gen(function*() {
      // Budgets so small that refill during the test is negligible: 5 reads and 2 creates per 10 minutes.
      const { handler } = yield* Emulator.makeHandler({
        throttle: { transactions: 5, createTransactions: 2, window: "10 minutes" }
      })
      const send = (r: Request) => Effect.promise(() => handler(r))
      for (let i = 0; i < 5; i++) assert.strictEqual((yield* send(request("GET", "/secrets/missing"))).status, 404)
      const throttled = yield* send(request("GET", "/secrets/missing"))
      assert.strictEqual(throttled.status, 429)
      // Room again when the first of the 5 leaves the 10-minute window.
      const retryAfter = Number(throttled.headers.get("retry-after"))
      assert.isTrue(retryAfter > 590 && retryAfter <= 600, `retry-after ${retryAfter}`)
      assert.deepStrictEqual(yield* Effect.promise(() => throttled.json()), {
        error: {
          code: "Throttled",
          message: "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"
        }
      })
      // Creates are counted apart from reads.
      assert.strictEqual((yield* send(request("PUT", "/secrets/a", { value: "1" }))).status, 200)
      assert.strictEqual((yield* send(request("PUT", "/secrets/b", { value: "2" }))).status, 200)
      assert.strictEqual((yield* send(request("PUT", "/secrets/c", { value: "3" }))).status, 429)
      // The unauthenticated challenge probe is not throttled.
      const probe = yield* send(new Request(`${VAULT}/secrets/a?api-version=7.6`))
      assert.strictEqual(probe.status, 401)
    }))

  it.scoped("is off by default", () =>
    Effect.gen(function*() {
      const { handler } = yield* Emulator.makeHandler({})
      for (let i = 0; i < 4100; i++) {
        const res = yield* Effect.promise(() => handler(request("GET", "/secrets/missing")))
        if (res.status !== 404) assert.fail(`request ${i}: ${res.status}`)
      }
    }), 60_000)

  it.effect("at most the limit in any window; the client waits Retry-After and gets through", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      yield* client.setSecret("s", "v")
      yield* TestClock.adjust("5 seconds")
      // 10 reads per 10 s (the set counts as a CREATE, in its own budget).
      const reads = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 20 }), () => client.getSecret("s"), { concurrency: 1 })
      )
      yield* TestClock.adjust("9 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(reads)), "the 11th read waits for the window")
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* Fiber.join(reads)).length, 20)
      const exchanges = yield* vault.exchanges
      assert.strictEqual(exchanges.filter((x) => x.method === "GET" && x.status === 200).length, 20)
      // The 11th read got one 429 (Retry-After: 10 s), waited, and it and the 9 after it fit the next window.
      assert.strictEqual(exchanges.filter((x) => x.status === 429).length, 1)
    }).pipe(Effect.provide(TestVault.layer({ throttle: { transactions: 10, createTransactions: 10, window: "10 seconds" } }))))
})
