/**
 * Secret values and tokens never leak into errors, causes, logs or span exits (issue 8, items 7 and 8).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Config, ConfigProvider, Effect, Exit, Fiber, Layer, Logger, LogLevel, Runtime } from "effect"
import * as util from "node:util"
import { TestVault } from "../../emulator/src/index.js"
import { SecretConfigProvider } from "../src/index.js"

const MARKER = "Mk7-leak-marker-value"

/** Every way an error commonly gets printed or stored. */
const surfaces = (label: string, u: unknown): Array<[string, string]> => {
  const out: Array<[string, string]> = [
    [`${label}: String`, String(u)],
    [`${label}: inspect`, util.inspect(u, { depth: Infinity, showHidden: true, getters: true })],
    [`${label}: JSON`, (() => {
      try {
        return JSON.stringify(u) ?? ""
      } catch (e) {
        return String(e)
      }
    })()]
  ]
  if (typeof u === "object" && u !== null && "message" in u) out.push([`${label}: message`, String(u.message)])
  return out
}

const assertNoMarker = (checks: ReadonlyArray<[string, string]>, marker = MARKER) => {
  // A prefix counts too: some messages quote a truncated value (Node's JSON.parse errors do).
  const leaks = checks.filter(([, text]) => text.includes(marker.slice(0, 8))).map(([where]) => where)
  assert.deepStrictEqual(leaks, [])
}

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(util.inspect(options.message, { depth: Infinity }))
    lines.push(Cause.pretty(options.cause, { renderErrorCause: true }))
  })
  return { lines, layer: Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All)) }
}

describe("SecretConfigProvider: values stay out of ConfigError", () => {
  const vault = TestVault.layer({
    seed: [
      { name: "app-port", value: MARKER },
      { name: "app-list", value: `1, ${MARKER}` },
      { name: "app-json", value: MARKER }
    ]
  })

  const cases: ReadonlyArray<[string, Config.Config<unknown>]> = [
    ["Config.number", Config.number("PORT")],
    ["Config.integer", Config.integer("PORT")],
    ["Config.boolean", Config.boolean("PORT")],
    ["Config.duration", Config.duration("PORT")],
    ["Config.literal", Config.literal("a", "b")("PORT")],
    ["Config.array(Config.number)", Config.array(Config.number(), "LIST")],
    ["Config.mapAttempt(JSON.parse)", Config.mapAttempt(Config.string("JSON"), (s) => JSON.parse(s) as unknown)]
  ]

  for (const [label, config] of cases) {
    for (const fallback of [null, "env"] as const) {
      it.effect(`${label} over a vault value (fallback ${fallback ?? "none"})`, () =>
        Effect.gen(function*() {
          const logs = captureLogs()
          const provider = SecretConfigProvider.layer({
            prefix: "app-",
            fallback: fallback === null ? null : ConfigProvider.fromMap(new Map())
          })
          const exit = yield* Effect.exit(config).pipe(Effect.provide(provider))
          assert.isTrue(Exit.isFailure(exit))
          if (Exit.isSuccess(exit)) return
          const error = Cause.squash(exit.cause)
          assert.include(String(error), "<redacted>")
          // Effect's own report of a fiber that dies with this error, at LogLevel.All.
          const runtime = yield* Effect.runtime<never>().pipe(Effect.provide(logs.layer))
          const fiber = Runtime.runFork(runtime)(Effect.flatMap(Effect.exit(Effect.void), () => exit))
          yield* Fiber.await(fiber)
          yield* Effect.logError("config failed", exit.cause).pipe(Effect.provide(logs.layer))
          assert.isAbove(logs.lines.length, 0)
          assertNoMarker([
            ...surfaces("error", error),
            ...surfaces("exit", exit),
            ["Cause.pretty", Cause.pretty(exit.cause, { renderErrorCause: true })],
            ...logs.lines.map((l, i): [string, string] => [`log ${i}`, l])
          ])
        }).pipe(Effect.provide(vault)))
    }
  }

  it.effect("values that parse are still served, and missing keys still name the key", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Config.string("NOPE"))
      assert.include(String(missing), "NOPE")
      assert.strictEqual(yield* Config.string("PORT"), MARKER)
      assert.deepStrictEqual(yield* Config.array(Config.string(), "LIST"), ["1", MARKER])
    }).pipe(Effect.provide(SecretConfigProvider.layer({ prefix: "app-", fallback: null })), Effect.provide(vault)))
})
