/**
 * Fleet simulation (`pnpm bench:fleet`): many service instances start within the same second, each reading
 * the same secrets through `SecretCache`, then keep reading them for 30 simulated minutes, against one
 * in-process emulator with the service's throttling on (4,000 secret transactions per 10 s per vault).
 *
 * Time is simulated with a discrete-event `Clock` (the in-process vault runs in the caller's fiber, so the
 * throttle's window, the client's retry waits and the cache's refresh timers all use it): the driver moves time
 * in ticks (100 ms for the first 2 minutes, 1 s after), wakes every fiber due, and lets every HTTP exchange
 * under way finish before the next tick, so requests land in the tick they were sent in. (`TestClock` gives the
 * same result but yields to the event loop once per distinct wake-up time, which is minutes of wall time here.)
 *
 * Each instance: its own `SecretClient` (own challenge + token) and `SecretCache`; start-up reads the secrets
 * with `Effect.forEach(names, cache.get, { concurrency: 20 })` (the same bounded fan-out as `getSecrets`, but
 * filling the cache; `SecretCache` has no bulk warm-up of its own); then every `FLEET_READ_EVERY` seconds it
 * reads all of them again through the cache (the app's traffic).
 *
 * Environment: FLEET_INSTANCES (500), FLEET_SECRETS (20), FLEET_MINUTES (30), FLEET_TTL_MINUTES (5: short
 * on purpose, so the 30 minutes see several refresh cycles; the shipped default is 8 hours),
 * FLEET_READ_EVERY (10 s), FLEET_SCENARIOS (defaults,no-jitter,no-throttle-wait,no-cache).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { Clock, Duration, Effect, Random } from "effect"
import * as fs from "node:fs"
import { Emulator } from "../packages/emulator/src/index.js"
import { Credential, SecretCache, SecretClient } from "../packages/secrets/src/index.js"

const env = (name: string, fallback: number) => {
  const v = process.env[name]
  return v === undefined || v === "" ? fallback : Number(v)
}
const INSTANCES = env("FLEET_INSTANCES", 500)
const SECRETS = env("FLEET_SECRETS", 20)
const MINUTES = env("FLEET_MINUTES", 30)
const TTL_MINUTES = env("FLEET_TTL_MINUTES", 5)
const READ_EVERY_S = env("FLEET_READ_EVERY", 10)
const LIMIT = 4000
const WINDOW_MS = 10_000
const VAULT = "https://fleet.vault.azure.net"

interface Scenario {
  readonly id: string
  readonly what: string
  /** `null`: no cache, the instance reads through the client. */
  readonly cache: SecretCache.Options | null
  readonly minutes?: number
}

const scenarios: ReadonlyArray<Scenario> = [
  { id: "defaults", what: "shipped defaults (jitter 0.1, refreshAhead 0.2, 429-aware backoff, throttledWait 2 min)", cache: {} },
  { id: "no-jitter", what: "defaults but jitter 0 (every instance refreshes at the same point of the TTL)", cache: { jitter: 0 } },
  {
    id: "no-throttle-wait",
    what: "defaults but throttledWait 0 (a cold read relies on the client's retry policy alone)",
    cache: { throttledWait: 0 }
  },
  {
    id: "no-cache",
    what: "no SecretCache: every app read is a getSecret (first 3 simulated minutes only)",
    cache: null,
    minutes: 3
  }
]

interface Result {
  readonly id: string
  readonly what: string
  readonly minutes: number
  readonly requests: number
  readonly ok: number
  readonly throttled: number
  readonly challenges: number
  readonly peakWindow: number
  readonly peakSliding: number
  readonly peakWindowStartup: number
  readonly peakWindowSteady: number
  readonly windowsOverLimit: number
  readonly failedStarts: number
  readonly startupSeconds: number
  readonly failedReads: number
  readonly reads: number
  readonly staleReads: number
  readonly refreshFailures: number
  readonly wallSeconds: number
}

// A clock that only moves when the driver says so; sleepers due at a tick all wake together.
const makeVirtualClock = () => {
  let now = Date.UTC(2026, 0, 1)
  let sleepers: Array<{ at: number; wake: () => void }> = []
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => now,
    currentTimeMillis: Effect.sync(() => now),
    unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: (duration) =>
      Effect.async<void>((resume) => {
        const entry = { at: now + Duration.toMillis(duration), wake: () => resume(Effect.void) }
        sleepers.push(entry)
        return Effect.sync(() => {
          sleepers = sleepers.filter((s) => s !== entry)
        })
      })
  }
  const advanceTo = (t: number) => {
    now = t
    const due = sleepers.filter((s) => s.at <= t)
    sleepers = sleepers.filter((s) => s.at > t)
    for (const s of due) s.wake()
  }
  return { clock, advanceTo, now: () => now }
}

const run = (scenario: Scenario, virtual = makeVirtualClock()) =>
  Effect.gen(function*() {
    const wallStart = Date.now()
    const names = Array.from({ length: SECRETS }, (_, i) => `app-secret-${String(i).padStart(2, "0")}`)
    const emulator = yield* Emulator.Emulator
    yield* emulator.engine.seed(names.map((name) => ({ name, value: `value-of-${name}` })))
    const base = yield* HttpClient.HttpClient
    // Every exchange the vault answers: simulated time and status.
    const seen: Array<{ readonly t: number; readonly status: number }> = []
    let inFlight = 0
    const http = HttpClient.transformResponse(base, (effect) =>
      Effect.suspend(() => {
        inFlight++
        return effect.pipe(
          Effect.tap((res) => Effect.map(Clock.currentTimeMillis, (t) => seen.push({ t, status: res.status }))),
          Effect.ensuring(Effect.sync(() => inFlight--))
        )
      }))
    const t0 = yield* Clock.currentTimeMillis
    let started = 0
    let failedStarts = 0
    let lastStart = t0
    let reads = 0
    let failedReads = 0
    const caches: Array<SecretCache.Service> = []

    const instance = Effect.gen(function*() {
      // Instances start within the same second.
      yield* Effect.sleep(Duration.millis(Math.floor((yield* Random.next) * 1000)))
      const client = yield* SecretClient.make({ vaultUrl: VAULT }).pipe(
        Effect.provideService(HttpClient.HttpClient, http),
        Effect.provide(Credential.layerStatic("fleet-token")),
        Effect.orDie
      )
      const cache: Pick<SecretCache.Service, "get"> = scenario.cache === null
        ? { get: (name) => client.getSecret(name) }
        : yield* SecretCache.make({ timeToLive: Duration.minutes(TTL_MINUTES), ...scenario.cache }).pipe(
          Effect.provideService(SecretClient.SecretClient, client),
          Effect.tap((c) => Effect.sync(() => caches.push(c)))
        )
      const ok = yield* Effect.forEach(names, (n) => cache.get(n), { concurrency: 20 }).pipe(
        Effect.as(true),
        Effect.catchAll(() => Effect.succeed(false))
      )
      if (!ok) {
        failedStarts++
        return
      }
      started++
      lastStart = Math.max(lastStart, yield* Clock.currentTimeMillis)
      while (true) {
        yield* Effect.sleep(Duration.seconds(READ_EVERY_S))
        for (const n of names) {
          reads++
          const r = yield* Effect.either(cache.get(n))
          if (r._tag === "Left") failedReads++
        }
      }
    })

    // Let every exchange that is under way finish (they await promises, not the clock).
    const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0))
    const settle = Effect.promise(async () => {
      await tick()
      while (inFlight > 0) await tick()
      await tick()
    })

    yield* Effect.forkScoped(Effect.forEach(Array.from({ length: INSTANCES }), () => instance, {
      concurrency: "unbounded",
      discard: true
    }))
    yield* settle
    // 100 ms ticks for the first 2 minutes (start-up), 1 s ticks after that.
    const minutes = scenario.minutes ?? MINUTES
    for (let ms = 0; ms < minutes * 60_000;) {
      ms += ms < 120_000 ? 100 : 1000
      virtual.advanceTo(t0 + ms)
      yield* settle
    }

    // Requests the vault counted (429s do not count toward the limit), per 10 s window.
    const counted = seen.filter((x) => x.status !== 429 && x.status !== 401).map((x) => x.t - t0).sort((a, b) => a - b)
    const windows = new Map<number, number>()
    for (const t of counted) windows.set(Math.floor(t / WINDOW_MS), (windows.get(Math.floor(t / WINDOW_MS)) ?? 0) + 1)
    let peakSliding = 0
    for (let i = 0, j = 0; i < counted.length; i++) {
      while (counted[i]! - counted[j]! >= WINDOW_MS) j++
      peakSliding = Math.max(peakSliding, i - j + 1)
    }
    const startupWindows = Math.ceil((lastStart - t0 + 1) / WINDOW_MS)
    let stale = 0
    let refreshFailures = 0
    for (const c of caches) {
      const s = yield* c.stats
      stale += s.stale
      refreshFailures += s.refreshFailures
    }
    const values = [...windows.entries()]
    return {
      id: scenario.id,
      what: scenario.what,
      minutes,
      requests: seen.length,
      ok: seen.filter((x) => x.status === 200).length,
      throttled: seen.filter((x) => x.status === 429).length,
      challenges: seen.filter((x) => x.status === 401).length,
      peakWindow: Math.max(0, ...windows.values()),
      peakSliding,
      peakWindowStartup: Math.max(0, ...values.filter(([w]) => w < startupWindows).map(([, n]) => n)),
      peakWindowSteady: Math.max(0, ...values.filter(([w]) => w >= startupWindows).map(([, n]) => n)),
      windowsOverLimit: [...windows.values()].filter((n) => n > LIMIT).length,
      failedStarts: failedStarts + (INSTANCES - started - failedStarts),
      startupSeconds: (lastStart - t0) / 1000,
      failedReads,
      reads,
      staleReads: stale,
      refreshFailures,
      wallSeconds: (Date.now() - wallStart) / 1000
    } satisfies Result
  }).pipe(
    Effect.scoped,
    Effect.provide(Emulator.layerInProcess({ vaultUrl: VAULT, throttle: true })),
    Effect.withClock(virtual.clock),
    Effect.withRandom(Random.make(42))
  )

const main = Effect.gen(function*() {
  const wanted = (process.env["FLEET_SCENARIOS"] ?? scenarios.map((s) => s.id).join(",")).split(",")
  const results: Array<Result> = []
  console.log(
    `Fleet: ${INSTANCES} instances × ${SECRETS} secrets, ${MINUTES} simulated minutes, TTL ${TTL_MINUTES} min, ` +
      `reads every ${READ_EVERY_S} s; vault limit ${LIMIT} per 10 s (throttle on)`
  )
  for (const s of scenarios.filter((s) => wanted.includes(s.id))) {
    const r = yield* run(s)
    results.push(r)
    console.log(`\n[${r.id}] ${r.what}; ${r.minutes} simulated minutes`)
    console.log(
      `  requests ${r.requests} (200: ${r.ok}, 429: ${r.throttled}, 401 challenges: ${r.challenges}); ` +
        `peak per 10 s window ${r.peakWindow} (sliding ${r.peakSliding}; start-up ${r.peakWindowStartup}, ` +
        `after start-up ${r.peakWindowSteady}) vs limit ${LIMIT}; windows over the limit ${r.windowsOverLimit}`
    )
    console.log(
      `  failed starts ${r.failedStarts}/${INSTANCES} (all started after ${r.startupSeconds} s); reads ${r.reads}, ` +
        `failed ${r.failedReads}, stale ${r.staleReads}; refresh failures ${r.refreshFailures}; wall ${r.wallSeconds.toFixed(1)} s`
    )
  }
  fs.mkdirSync("bench/results", { recursive: true })
  fs.writeFileSync(
    "bench/results/fleet.json",
    JSON.stringify({ instances: INSTANCES, secrets: SECRETS, minutes: MINUTES, ttlMinutes: TTL_MINUTES, readEverySeconds: READ_EVERY_S, limit: LIMIT, results }, null, 2)
  )
})

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exit(1)
})
