/**
 * Persistence: the emulator CLI runs as a child process on a data file; concurrent write bursts go through
 * the client; the process is SIGKILLed mid-burst, restarted on the same file, and every write the client
 * saw acknowledged (in any round so far) must be there with its value.
 */
import { Credential, RetryPolicy, SecretClient } from "@effect-keyvault/secrets"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Redacted } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type Running, startEmulator } from "./support/cli.js"
import { size, sized, writeReport } from "./support/report.js"

const ROUNDS = sized(3, 25)
const WRITERS = 8
/** Names per writer: writes alternate between new versions of these names. */
const NAMES = 5

interface Ack {
  readonly name: string
  readonly version: string
  readonly value: string
}

const clientFor = (url: string) =>
  SecretClient.make({ vaultUrl: url, allowInsecureLoopback: true, verifyChallengeResource: false, timeout: "10 seconds" })

describe("persistence across SIGKILL", () => {
  it.live(`${ROUNDS} rounds of ${WRITERS} concurrent writers killed mid-burst (${size})`, () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-persist-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const dataFile = path.join(dir, "vault.json")
      const acks: Array<Ack> = []
      let attempted = 0
      let failedAtKill = 0
      let lost = 0
      let checkedReads = 0
      let restartMs = 0
      let running: Running | undefined
      yield* Effect.addFinalizer(() => Effect.sync(() => running?.child.kill("SIGKILL")))

      for (let round = 0; round <= ROUNDS; round++) {
        const started = performance.now()
        running = yield* Effect.promise(() => startEmulator(["--data", dataFile]))
        restartMs = Math.max(restartMs, performance.now() - started)
        const client = yield* clientFor(running.url)

        // Every write acknowledged so far (all earlier rounds) must have survived the kills.
        const missing = yield* Effect.forEach(acks, (ack) =>
          client.getSecret(ack.name, { version: ack.version }).pipe(
            Effect.map((s) => Redacted.value(s.value) === ack.value ? 0 : 1),
            Effect.orElseSucceed(() => 1)
          ), { concurrency: 16 })
        checkedReads += acks.length
        lost += missing.reduce((a: number, b) => a + b, 0)
        if (round === ROUNDS) break

        // A burst: writers go on until the process dies under them; each write is acknowledged or fails.
        const ackedBefore = acks.length
        const writer = (w: number) =>
          Effect.gen(function*() {
            for (let k = 0;; k++) {
              const name = `r${round}-w${w}-${k % NAMES}`
              const value = `value-${round}-${w}-${k}`
              attempted++
              const result = yield* Effect.either(client.setSecret(name, value))
              if (result._tag === "Left") {
                failedAtKill++
                return
              }
              acks.push({ name, version: result.right.properties.version ?? "", value })
            }
          })
        const writers = yield* Effect.fork(Effect.forEach(Array.from({ length: WRITERS }, (_, w) => w), writer, {
          concurrency: "unbounded",
          discard: true
        }))
        // Kill at a varying point, but only once the burst is well under way.
        const target = 20 + (round * 7) % 40
        const deadline = performance.now() + 30_000
        while (acks.length - ackedBefore < target && performance.now() < deadline) yield* Effect.sleep("5 millis")
        yield* Effect.sleep(Duration.millis((round * 37) % 50))
        running.child.kill("SIGKILL")
        expect(yield* Effect.promise(() => running!.exited)).toBe("SIGKILL")
        yield* Fiber.join(writers).pipe(Effect.timeout("60 seconds"))
      }
      running?.child.kill("SIGTERM")
      yield* Effect.promise(() => running!.exited)

      writeReport({
        suite: "persistence",
        title: "Persistence across SIGKILL",
        figures: {
          "rounds (SIGKILL mid-burst, restart on the same file)": ROUNDS,
          "concurrent writers per burst": WRITERS,
          "writes attempted": attempted,
          "writes acknowledged": acks.length,
          "writes cut off by the kill (typed error to the caller)": failedAtKill,
          "acknowledged-write reads after restarts": checkedReads,
          "acknowledged writes lost": lost,
          "slowest start on the data file (ms)": Math.round(restartMs)
        },
        notes: [
          "The emulator CLI runs as its own process (`node --import tsx packages/emulator/src/bin.ts --http --port 0 --data FILE`); the client is SecretClient over NodeHttpClient.layerUndici with RetryPolicy.none, so a write either is acknowledged or fails.",
          "After each restart every write acknowledged in any earlier round is read back by version and its value compared."
        ]
      })
      expect(lost).toBe(0)
      expect(acks.length).toBeGreaterThan(ROUNDS * 20)
      expect(failedAtKill).toBeGreaterThan(0)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(
        Credential.layerStatic("persistence-token"),
        NodeHttpClient.layerUndici,
        RetryPolicy.layer(RetryPolicy.none)
      ))
    ), sized(90_000, 1_200_000))
})
