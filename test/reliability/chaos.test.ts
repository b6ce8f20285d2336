/**
 * Chaos: many fibers drive mixed operations through a real loopback fault proxy in front of the HTTP
 * emulator. Every operation must end (value or typed error) within a bound, no defect, and every write
 * the client acknowledged must be readable from the emulator afterwards.
 */
import { Emulator } from "@effect-keyvault/emulator"
import { Credential, PollingPolicy, RetryPolicy, SecretClient, SecretError } from "@effect-keyvault/secrets"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Layer, Option, Redacted, Stream } from "effect"
import * as FaultProxy from "./support/faultProxy.js"
import { percent, size, sized, writeReport } from "./support/report.js"

const OPERATIONS = sized(400, 10_000)
const FIBERS = 32
const NAMES_PER_FIBER = 4
/** Client options a user would pick for a flaky network. */
const TIMEOUT = Duration.millis(1_500)
const RETRY = { maxRetries: 4, baseDelay: "25 millis", maxDelay: "400 millis" } as const
/** No operation may take longer than this (5 attempts × timeout + waits, several requests for a delete). */
const HANG_BOUND = Duration.seconds(60)
const SEED = 0x5eed_c4a0

/** Small deterministic PRNG (mulberry32), so a run's fault mix is reproducible in distribution. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const weights: ReadonlyArray<readonly [FaultProxy.Fault, number]> = [
  ["none", 0.52],
  ["throttle", 0.06],
  ["error-before", 0.05],
  ["error-after", 0.05],
  ["reset-request", 0.04],
  ["reset-response", 0.04],
  ["latency", 0.12],
  ["truncated", 0.04],
  ["malformed", 0.04],
  ["stall", 0.03],
  ["stall-body", 0.02]
]

const pick = <A>(random: () => number, table: ReadonlyArray<readonly [A, number]>): A => {
  let r = random() * table.reduce((s, [, w]) => s + w, 0)
  for (const [a, w] of table) {
    r -= w
    if (r <= 0) return a
  }
  return table[table.length - 1]![0]
}

type Op = "set" | "get" | "getVersion" | "update" | "list" | "listVersions" | "backup" | "lifecycle"
const opWeights: ReadonlyArray<readonly [Op, number]> = [
  ["set", 0.3],
  ["get", 0.18],
  ["getVersion", 0.1],
  ["update", 0.1],
  ["list", 0.08],
  ["listVersions", 0.08],
  ["backup", 0.06],
  ["lifecycle", 0.1]
]

interface Ack {
  readonly name: string
  readonly version: string
  readonly value: string
}

describe("chaos through a fault proxy", () => {
  it.live(`${OPERATIONS} mixed operations from ${FIBERS} fibers (${size})`, () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ tls: false })
      // Every ledger name exists from the start (seeded directly), so reads and updates have something to find.
      for (let f = 0; f < FIBERS; f++) {
        for (let n = 0; n < NAMES_PER_FIBER; n++) yield* emulator.engine.setSecret(`c${f}-${n}`, { value: "seed" })
      }
      const faultRandom = prng(SEED)
      const read429 = new Set<string>()
      let read429Late = 0
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() =>
          FaultProxy.start({
            upstream: emulator.url,
            choose: () => pick(faultRandom, weights),
            random: faultRandom
          })
        ),
        (p) => Effect.promise(() => p.close())
      )
      const options: SecretClient.SecretClientOptions = {
        vaultUrl: proxy.url,
        allowInsecureLoopback: true,
        // The emulator challenges for https://vault.azure.net; the proxy is on 127.0.0.1.
        verifyChallengeResource: false,
        timeout: TIMEOUT,
        // Observes which 429s the client read in time. A 429 read late in its attempt may lose the race with
        // the attempt's timeout (a loaded event loop), and then the retry loop sees a timeout, not the 429;
        // only 429s read within the first half of the timeout are judged.
        transformClient: HttpClient.transformResponse((execute) =>
          Effect.suspend(() => {
            const sent = performance.now()
            return Effect.tap(execute, (res) => {
              const id = res.headers["x-fault-id"]
              return (res.status === 429 || res.status === 503) && id !== undefined
                ? Effect.zipRight(
                  res.text,
                  Effect.sync(() => {
                    if (performance.now() - sent < Duration.toMillis(TIMEOUT) / 2) read429.add(id)
                    else read429Late++
                  })
                )
                : Effect.void
            })
          })
        )
      }
      // Half the fibers use the undici client, half the global fetch one.
      const transports = [
        { label: "NodeHttpClient.layerUndici", client: yield* SecretClient.make(options) },
        { label: "FetchHttpClient", client: yield* SecretClient.make(options).pipe(Effect.provide(FetchHttpClient.layer)) }
      ] as const
      const perTransport = new Map(transports.map((t) => [t.label, { operations: 0, successes: 0 }]))

      const acks: Array<Ack> = []
      /** Every value a set was attempted with, acknowledged or not. */
      const attempted = new Map<string, string>()
      const outcomes = new Map<string, number>()
      const defects: Array<string> = []
      const wrongReads: Array<string> = []
      let hangs = 0
      let slowest = 0
      /** The first message per error tag, so the report says what each kind of failure looked like. */
      const examples = new Map<string, string>()
      const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1)

      const operation = (
        client: SecretClient.Service,
        fiber: number,
        k: number,
        random: () => number,
        mine: Array<Ack>
      ) => {
        const name = `c${fiber}-${Math.floor(random() * NAMES_PER_FIBER)}`
        const op = pick(random, opWeights)
        switch (op) {
          case "set": {
            const value = `v-${fiber}-${k}-${Math.floor(random() * 1e9).toString(36)}`
            attempted.set(value, name)
            return client.setSecret(name, value).pipe(Effect.tap((s) =>
              Effect.sync(() => {
                const ack = { name, version: s.properties.version ?? "", value }
                acks.push(ack)
                mine.push(ack)
              })
            ))
          }
          case "get":
            return client.getSecret(name)
          case "getVersion": {
            const known = mine[Math.floor(random() * mine.length)]
            if (known === undefined) return client.getSecret(name)
            return client.getSecret(known.name, { version: known.version }).pipe(Effect.tap((s) =>
              Effect.sync(() => {
                if (Redacted.value(s.value) !== known.value) wrongReads.push(`${known.name}/${known.version}`)
              })
            ))
          }
          case "update":
            return client.updateSecretProperties(name, { tags: { k: String(k) } })
          case "list":
            return client.listPropertiesOfSecrets({ maxPageSize: 25 }).pipe(Stream.take(40), Stream.runDrain)
          case "listVersions":
            return client.listPropertiesOfSecretVersions(name, { maxPageSize: 10 }).pipe(Stream.runDrain)
          case "backup":
            return client.backupSecret(name)
          case "lifecycle": {
            // Soft delete and purge of a throwaway name; not part of the ledger.
            const temp = `e${fiber}-${k}`
            return client.setSecret(temp, "temporary").pipe(
              Effect.zipRight(client.deleteSecret(temp)),
              Effect.zipRight(client.purgeDeletedSecret(temp))
            )
          }
        }
      }

      const worker = (fiber: number, share: number) =>
        Effect.gen(function*() {
          const random = prng(SEED + fiber + 1)
          const mine: Array<Ack> = []
          const transport = transports[fiber % transports.length]!
          const tally = perTransport.get(transport.label)!
          for (let k = 0; k < share; k++) {
            const started = performance.now()
            const exit = yield* Effect.exit(Effect.timeout(operation(transport.client, fiber, k, random, mine), HANG_BOUND))
            slowest = Math.max(slowest, performance.now() - started)
            tally.operations++
            if (Exit.isSuccess(exit)) {
              tally.successes++
              count("success")
              continue
            }
            const failure = Cause.failureOption(exit.cause)
            if (Option.isSome(failure) && failure.value._tag === "TimeoutException") {
              hangs++
              count("hang")
            } else if (Option.isSome(failure) && SecretError.isSecretError(failure.value)) {
              count(failure.value._tag)
              if (!examples.has(failure.value._tag)) examples.set(failure.value._tag, failure.value.message)
            } else {
              count("defect")
              if (defects.length < 5) defects.push(Cause.pretty(exit.cause))
            }
          }
        })

      const started = performance.now()
      yield* Effect.forEach(
        Array.from({ length: FIBERS }, (_, i) => i),
        (i) => worker(i, Math.floor(OPERATIONS / FIBERS) + (i < OPERATIONS % FIBERS ? 1 : 0)),
        { concurrency: "unbounded", discard: true }
      )
      const elapsed = (performance.now() - started) / 1000
      // A stall's connection closes moments after the client gives up; let those events arrive.
      for (let i = 0; i < 50 && proxy.stallsAbandonedAfter.length < proxy.counts["stall"] + proxy.counts["stall-body"]; i++) {
        yield* Effect.sleep("100 millis")
      }
      const stalls = proxy.counts["stall"] + proxy.counts["stall-body"]
      const stallEnds = [...proxy.stallsAbandonedAfter].sort((a, b) => a - b)

      // The ledger, read directly from the emulator's engine (no proxy): every acknowledged write is there.
      let lost = 0
      for (const ack of acks) {
        const stored = yield* Effect.either(emulator.engine.getSecret(ack.name, ack.version))
        if (stored._tag === "Left" || stored.right.value !== ack.value) lost++
      }
      // Retried PUTs whose first answer was lost leave two versions with the same value.
      let duplicates = 0
      let appliedUnacknowledged = 0
      const acknowledged = new Set(acks.map((a) => a.value))
      const names = new Set(attempted.values())
      for (const name of names) {
        const versions = yield* Effect.orElseSucceed(emulator.engine.listSecretVersions(name), () => [])
        const perValue = new Map<string, number>()
        for (const v of versions) if (attempted.has(v.value)) perValue.set(v.value, (perValue.get(v.value) ?? 0) + 1)
        for (const [value, n] of perValue) {
          duplicates += n - 1
          if (!acknowledged.has(value)) appliedUnacknowledged++
        }
      }

      const gaps = proxy.retryGaps
      // Only a 429 the client read within its attempt counts; one that arrived after its timeout fired (a
      // loaded event loop) was never seen by the retry loop, which then backs off as for a timeout.
      const early = gaps.filter((g) => g.gapMs < g.advisedMs - 1 && read429.has(g.faultId))
      const earlyUnread = gaps.filter((g) => g.gapMs < g.advisedMs - 1 && !read429.has(g.faultId))
      const overshoot = gaps.filter((g) => read429.has(g.faultId)).map((g) => g.gapMs - g.advisedMs).sort((a, b) => a - b)
      const total = OPERATIONS
      const figures: Record<string, number | string> = {
        "operations": total,
        "fibers": FIBERS,
        "wall time (s)": Number(elapsed.toFixed(1)),
        "requests through the proxy": Object.values(proxy.counts).reduce((a, b) => a + b, 0),
        "success share": percent(outcomes.get("success") ?? 0, total)
      }
      for (const [label, t] of perTransport) figures[`success share via ${label}`] = percent(t.successes, t.operations)
      for (const [key, n] of [...outcomes].sort((a, b) => b[1] - a[1])) {
        if (key !== "success" && key !== "hang" && key !== "defect") figures[`failed as ${key}`] = `${n} (${percent(n, total)})`
      }
      Object.assign(figures, {
        "defects": outcomes.get("defect") ?? 0,
        [`hangs (no outcome within ${Duration.format(HANG_BOUND)})`]: hangs,
        "slowest operation (s)": Number((slowest / 1000).toFixed(2)),
        "acknowledged writes": acks.length,
        "acknowledged writes not readable afterwards": lost,
        "reads of an acknowledged version returning another value": wrongReads.length,
        "duplicate versions from retried PUTs whose answer was lost": duplicates,
        "writes applied but reported as failed": appliedUnacknowledged,
        "stalled requests (no head, or half a body)": stalls,
        "stalled requests the client abandoned": stallEnds.length,
        "stalled request arrival to client abandoning it, median (ms)": stallEnds.length === 0 ? "n/a" : Math.round(stallEnds[Math.floor(stallEnds.length / 2)]!),
        "stalled request arrival to client abandoning it, max (ms)": stallEnds.length === 0 ? "n/a" : Math.round(stallEnds[stallEnds.length - 1]!),
        "429s and 503s with a wait, retried (gap measured at the proxy)": gaps.length,
        "answers with a wait the client read in time (judged)": read429.size,
        "retries sooner than Retry-After (judged answers)": early.length,
        "answers with a wait read late in their attempt (not judged: the timeout may have won)": read429Late,
        "retries sooner than Retry-After of an answer not read in time": earlyUnread.length,
        "Retry-After overshoot median (ms)": overshoot.length === 0 ? "n/a" : Number(overshoot[Math.floor(overshoot.length / 2)]!.toFixed(1)),
        "Retry-After overshoot max (ms)": overshoot.length === 0 ? "n/a" : Number(overshoot[overshoot.length - 1]!.toFixed(1))
      })
      for (const [fault, n] of Object.entries(proxy.counts)) figures[`injected: ${fault}`] = n
      writeReport({
        suite: "chaos",
        title: "Chaos through a fault proxy",
        figures,
        notes: [
          `Clients: NodeHttpClient.layerUndici (even fibers) and FetchHttpClient (odd fibers), each with timeout ${Duration.format(TIMEOUT)}, RetryPolicy.make(${JSON.stringify(RETRY)}), ` +
          `PollingPolicy interval 50 ms; operations: set / get / get a known version / update tags / list (≤ 40 items) / list versions / backup / set+delete+purge of a throwaway name.`,
          "Fault proxy (test/reliability/support/faultProxy.ts): a real HTTP server on 127.0.0.1 in front of the emulator; each request gets one fault drawn from fixed weights (seeded PRNG).",
          "Duplicate versions: PUT /secrets/{name} creates a version each time it is applied. When the server applied a PUT but the answer was lost (5xx after the server, reset or truncated response), the client cannot know it was applied and retries, as the Azure SDKs do; the retry creates a second version with the same value. Reads stay right (the latest version holds the intended value), only the version history has the extra entry. This is inherent to a non-idempotent PUT plus retry: Key Vault has no idempotency key for secrets.",
          "NotFound also comes from retries of a DELETE whose first answer was lost: the retry finds the secret already deleted (same inherent cause as duplicate versions).",
          "Writes applied but reported as failed: the server applied the PUT, but every attempt's answer was lost or malformed (a malformed 200 is not retried), so the caller saw a typed error. A caller that must know should read the secret back.",
          ...early.map((g) => `Early retry: Retry-After ${g.advisedMs} ms, retried after ${g.gapMs.toFixed(1)} ms.`),
          ...[...examples].map(([tag, message]) => `Example ${tag}: ${message}`),
          "Retry-After: the gap is measured at the proxy from sending the 429 (or a 503 with a wait) to the same x-ms-client-request-id arriving again; 20 % of 429s say `Retry-After: 1` (seconds), the rest and 40 % of injected 503s `retry-after-ms` 20–200."
        ]
      })

      expect(defects).toEqual([])
      expect(hangs).toBe(0)
      expect(lost).toBe(0)
      expect(wrongReads).toEqual([])
      expect(early).toEqual([])
      // Every stall was abandoned by the client's own timeout (not by the end of the run), and in time.
      expect(stallEnds.length).toBe(stalls)
      expect(stallEnds[stallEnds.length - 1]!).toBeLessThan(Duration.toMillis(TIMEOUT) + 15_000)
      // The mix must really exercise the faults and still get most work done.
      for (const fault of FaultProxy.faults) expect(proxy.counts[fault]).toBeGreaterThan(0)
      expect(gaps.length).toBeGreaterThan(0)
      expect(acks.length).toBeGreaterThan(0)
      expect((outcomes.get("success") ?? 0) / total).toBeGreaterThan(0.5)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(
        Credential.layerStatic("chaos-token"),
        NodeHttpClient.layerUndici,
        RetryPolicy.layer(RetryPolicy.make(RETRY)),
        PollingPolicy.layer(PollingPolicy.make({ interval: "50 millis", maxWait: "30 seconds" }))
      ))
    ), sized(90_000, 1_800_000))
})
