/**
 * The five clients under test, each behind the same small async interface so the runner can time
 * whole batches. Every factory imports its libraries lazily, so a `--memory <client>` child process
 * loads only what that client needs (the baseline heap then shows each library's own footprint).
 */
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import type * as Undici from "undici"

/** Every client id, in table order. */
export const clientIds = [
  "raw",
  "official",
  "ours-undici",
  "ours-platform-undici",
  "ours-node-http",
  "ours-fetch",
  "ours-baseline"
] as const
export type ClientId = typeof clientIds[number]

export const isClientId = (s: string): s is ClientId => (clientIds as ReadonlyArray<string>).includes(s)

export const labels: Record<ClientId, string> = {
  "raw": "raw HTTP (undici request)",
  "official": "official @azure/keyvault-secrets",
  "ours-undici": "ours, UndiciHttpClient (this package's transport)",
  "ours-platform-undici": "ours, @effect/platform-node NodeHttpClient undici",
  "ours-baseline":
    "an earlier version of ours (BENCH_BASELINE_SRC) on NodeHttpClient undici (or its own UndiciHttpClient with BENCH_BASELINE_TRANSPORT=undici), for before/after",
  "ours-node-http": "ours, NodeHttpClient node:http",
  "ours-fetch": "ours, FetchHttpClient (global fetch)"
}

export interface Target {
  readonly url: string
  readonly ca: string
  readonly token: string
}

/** Receives the latency of one operation, in milliseconds. */
export type Recorder = ((ms: number) => void) | undefined

export interface BenchClient {
  readonly id: ClientId
  /** `count` getSecret (latest) calls of `name`, at most `concurrency` in flight; returns the last value. */
  readonly get: (name: string, count: number, concurrency: number, record?: Recorder) => Promise<string>
  /** `count` setSecret calls (each makes a new version), at most `concurrency` in flight. */
  readonly set: (name: string, value: string, count: number, concurrency?: number, record?: Recorder) => Promise<void>
  /** `times` full listings of secret properties; returns the item count of the last one. */
  readonly list: (times: number, record?: Recorder) => Promise<number>
  readonly close: () => Promise<void>
}

/** Times one promise-returning operation when `record` is given. */
const timed = async <A>(record: Recorder, f: () => Promise<A>): Promise<A> => {
  if (record === undefined) return f()
  const t0 = performance.now()
  const a = await f()
  record(performance.now() - t0)
  return a
}

// Same as the official SDK 4.12 and our SDK's default.
const API_VERSION = "2026-04-01"

/** A small promise pool, the hand-written equivalent of `Effect.forEach(..., { concurrency })`. */
export const pool = async (count: number, concurrency: number, task: () => Promise<void>): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < count) {
      next++
      await task()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

const makeRaw = async (target: Target): Promise<BenchClient> => {
  const undici = await import("undici")
  const agent = new undici.Agent({ connect: { ca: target.ca } })
  const auth = `Bearer ${target.token}`
  const call = async (method: Undici.Dispatcher.HttpMethod, pathAndQuery: string, body?: string) => {
    const res = await undici.request(`${target.url}${pathAndQuery}`, {
      method,
      dispatcher: agent,
      headers: body === undefined
        ? { authorization: auth }
        : { authorization: auth, "content-type": "application/json" },
      ...(body === undefined ? {} : { body })
    })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new Error(`raw ${method} ${pathAndQuery}: HTTP ${res.statusCode}`)
    return JSON.parse(text) as { [k: string]: unknown }
  }
  const q = `api-version=${API_VERSION}`
  let last = ""
  return {
    id: "raw",
    get: async (name, count, concurrency, record) => {
      await pool(count, concurrency, async () => {
        last = (await timed(record, () => call("GET", `/secrets/${encodeURIComponent(name)}?${q}`))).value as string
      })
      return last
    },
    set: (name, value, count, concurrency = 1, record) =>
      pool(count, concurrency, async () => {
        await timed(record, () => call("PUT", `/secrets/${encodeURIComponent(name)}?${q}`, JSON.stringify({ value, attributes: {} })))
      }),
    list: async (times, record) => {
      let n = 0
      for (let i = 0; i < times; i++) {
        n = await timed(record, async () => {
          let count = 0
          let next: string | undefined = `${target.url}/secrets?${q}`
          while (next) {
            const page: { [k: string]: unknown } = await call("GET", next.slice(target.url.length))
            count += (page.value as Array<unknown>).length
            next = (page.nextLink as string | null | undefined) ?? undefined
          }
          return count
        })
      }
      return n
    },
    close: () => agent.close()
  }
}

const makeOfficial = async (target: Target): Promise<BenchClient> => {
  const { SecretClient } = await import("@azure/keyvault-secrets")
  const credential = {
    getToken: async () => ({ token: target.token, expiresOnTimestamp: Date.now() + 3_600_000 })
  }
  const client = new SecretClient(target.url, credential, {
    tlsOptions: { ca: target.ca },
    disableChallengeResourceVerification: true
  })
  let last = ""
  return {
    id: "official",
    get: async (name, count, concurrency, record) => {
      await pool(count, concurrency, async () => {
        last = (await timed(record, () => client.getSecret(name))).value ?? ""
      })
      return last
    },
    set: (name, value, count, concurrency = 1, record) =>
      pool(count, concurrency, async () => {
        await timed(record, () => client.setSecret(name, value))
      }),
    list: async (times, record) => {
      let n = 0
      for (let i = 0; i < times; i++) {
        n = await timed(record, async () => {
          let count = 0
          for await (const _ of client.listPropertiesOfSecrets()) count++
          return count
        })
      }
      return n
    },
    // The SDK has no close(); the runner ends the process when done.
    close: async () => {}
  }
}

type Transport = "undici" | "platform-undici" | "node-http" | "fetch"

/**
 * `srcDir`: where the package's sources are; an earlier version exported with e.g.
 * `git archive <commit> packages/secrets | tar -x -C bench/.cache/baseline` gives a before/after in one run.
 */
const makeOurs = async (target: Target, transport: Transport, srcDir?: string): Promise<BenchClient> => {
  // The compiled JS (bench/compile.ts) when the orchestrator made it; the TypeScript sources otherwise.
  const compiled = srcDir === undefined ? process.env.BENCH_OURS_JS : process.env.BENCH_BASELINE_JS
  const moduleUrl = (file: string) =>
    compiled !== undefined
      ? pathToFileURL(path.join(compiled, `${file}.js`)).href
      : srcDir === undefined
      ? new URL(`../packages/secrets/src/${file}.ts`, import.meta.url).href
      : pathToFileURL(path.join(srcDir, `${file}.ts`)).href
  const [{ Effect, Layer, ManagedRuntime, Redacted, Stream }, undici, { Credential, SecretClient }] = await Promise.all([
    import("effect"),
    import("undici"),
    import(moduleUrl("index")) as Promise<typeof import("../packages/secrets/src/index.js")>
  ])
  // Each transport's modules are loaded only when used (the memory figures count what is loaded).
  const NodeHttpClient = transport === "platform-undici" || transport === "node-http"
    ? await import("@effect/platform-node/NodeHttpClient")
    : undefined!
  const FetchHttpClient = transport === "fetch" ? await import("@effect/platform/FetchHttpClient") : undefined!
  const UndiciHttpClient = transport === "undici"
    ? await (import(moduleUrl("UndiciHttpClient")) as Promise<typeof import("../packages/secrets/src/UndiciHttpClient.js")>)
    : undefined!
  let agent: Undici.Agent | undefined
  const http = (() => {
    switch (transport) {
      case "undici":
        agent = new undici.Agent({ connect: { ca: target.ca } })
        return UndiciHttpClient.layerWithDispatcher(agent)
      case "platform-undici":
        agent = new undici.Agent({ connect: { ca: target.ca } })
        return NodeHttpClient.layerUndiciWithoutDispatcher.pipe(
          Layer.provide(Layer.succeed(NodeHttpClient.Dispatcher, agent))
        )
      case "node-http":
        return NodeHttpClient.layerWithoutAgent.pipe(
          Layer.provide(NodeHttpClient.makeAgentLayer({ ca: target.ca, keepAlive: true }))
        )
      case "fetch":
        agent = new undici.Agent({ connect: { ca: target.ca } })
        // Node's global fetch takes an undici `dispatcher` in its init (not in the DOM RequestInit type).
        return FetchHttpClient.layer.pipe(
          Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { dispatcher: agent } as RequestInit))
        )
    }
  })()
  const runtime = ManagedRuntime.make(
    SecretClient.layer({ vaultUrl: target.url, verifyChallengeResource: false }).pipe(
      Layer.provide(Credential.layerStatic(Redacted.make(target.token))),
      Layer.provide(http)
    )
  )
  const client = await runtime.runPromise(SecretClient.SecretClient)
  const timedEffect = <A, E>(record: Recorder, effect: import("effect").Effect.Effect<A, E>) =>
    record === undefined ? effect : Effect.suspend(() => {
      const t0 = performance.now()
      return Effect.tap(effect, () => record(performance.now() - t0))
    })
  return {
    id: srcDir === undefined ? `ours-${transport}` : "ours-baseline",
    // One Effect per batch, the way an application runs it.
    get: async (name, count, concurrency, record) => {
      let last = ""
      await runtime.runPromise(
        Effect.forEach(
          Array.from({ length: count }),
          () =>
            Effect.map(timedEffect(record, client.getSecret(name)), (secret) => {
              last = Redacted.value(secret.value)
            }),
          { concurrency, discard: true }
        )
      )
      return last
    },
    set: (name, value, count, concurrency = 1, record) =>
      runtime.runPromise(
        Effect.forEach(Array.from({ length: count }), () => timedEffect(record, client.setSecret(name, value)), {
          concurrency,
          discard: true
        })
      ),
    list: (times, record) =>
      runtime.runPromise(
        Effect.forEach(
          Array.from({ length: times }),
          () => timedEffect(record, Stream.runCount(client.listPropertiesOfSecrets()))
        ).pipe(Effect.map((counts) => counts[counts.length - 1] ?? 0))
      ),
    close: async () => {
      await runtime.dispose()
      await agent?.close()
    }
  }
}

export const makeClient = (id: ClientId, target: Target): Promise<BenchClient> => {
  switch (id) {
    case "raw":
      return makeRaw(target)
    case "official":
      return makeOfficial(target)
    case "ours-undici":
      return makeOurs(target, "undici")
    case "ours-platform-undici":
      return makeOurs(target, "platform-undici")
    case "ours-node-http":
      return makeOurs(target, "node-http")
    case "ours-fetch":
      return makeOurs(target, "fetch")
    case "ours-baseline": {
      const src = process.env.BENCH_BASELINE_SRC
      if (src === undefined) return Promise.reject(new Error("ours-baseline needs BENCH_BASELINE_SRC (a packages/secrets/src directory)"))
      // BENCH_BASELINE_TRANSPORT=undici: the baseline's own UndiciHttpClient (when its sources have one).
      const transport = process.env.BENCH_BASELINE_TRANSPORT === "undici" ? "undici" : "platform-undici"
      return makeOurs(target, transport, path.resolve(src))
    }
  }
}
