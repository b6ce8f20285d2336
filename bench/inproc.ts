/**
 * The SDK's own cost without a network: ours and the official SDK against an in-memory transport that
 * answers canned Key Vault JSON (one async hop per request, like a socket). CPU µs per operation, median of
 * rounds, both clients in this process, interleaved. What remains is SDK + runtime work (Effect's fiber
 * runtime for ours, the core pipeline for the official SDK): the part a client library controls.
 *
 *   node --import tsx bench/inproc.ts [get|set|list200] [ops] [rounds]
 *
 * Not part of `pnpm bench`'s figures (those are over HTTPS: bench/fair.ts); a tool for iterating on the hot path.
 */
import { createRequire } from "node:module"
import { compileForBench } from "./compile.js"
import { fmtNumber, median, table } from "./stats.js"

const VAULT = "https://bench.vault.azure.net"
const NAME = "bench-00000"
const VALUE = "v".repeat(64)
const created = 1_764_000_000
const item = (name: string, withValue: boolean) => ({
  ...(withValue ? { value: VALUE } : {}),
  id: withValue ? `${VAULT}/secrets/${name}/0123456789abcdef0123456789abcdef` : `${VAULT}/secrets/${name}`,
  attributes: { enabled: true, created, updated: created, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 },
  tags: { env: "bench" }
})
const secretBody = JSON.stringify(item(NAME, true))
const PAGES = Number(process.env.INPROC_PAGES ?? 8)
const pages = Array.from({ length: PAGES }, (_, p) =>
  JSON.stringify({
    value: Array.from({ length: 25 }, (_, i) => item(`bench-${String(p * 25 + i).padStart(5, "0")}`, false)),
    nextLink: p < PAGES - 1 ? `${VAULT}/secrets?api-version=2026-04-01&$skiptoken=${p + 1}` : null
  }))
const challenge = `Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://vault.azure.net"`

/** What the fake server answers: status, headers, body. */
const answer = (method: string, url: string, authorized: boolean) => {
  if (!authorized) return { status: 401, headers: { "www-authenticate": challenge } as Record<string, string>, body: "" }
  const skip = /skiptoken=(\d+)/.exec(url)
  if (method === "GET" && url.includes("/secrets?")) return { status: 200, headers: {}, body: pages[skip ? Number(skip[1]) : 0]! }
  return { status: 200, headers: {}, body: secretBody }
}

const main = async () => {
  const [scenario = "get", opsArg, roundsArg] = process.argv.slice(2)
  const ops = Number(opsArg ?? (scenario === "list200" ? 200 : 20_000))
  const rounds = Number(roundsArg ?? 7)
  await compileForBench()
  const dir = process.env.BENCH_OURS_JS!
  const { Effect, Layer, ManagedRuntime, Redacted, Stream } = await import("effect")
  const HttpClient = await import("@effect/platform/HttpClient")
  const { Credential, SecretClient } = await import(`${dir}/index.js`) as typeof import("../packages/secrets/src/index.js")
  const Redaction = await import(`${dir}/internal/redaction.js`) as typeof import("../packages/secrets/src/internal/redaction.js")
  const encoder = new TextEncoder()

  // Ours: a lean transport whose buffered exchange answers after one microtask.
  const fake = Redaction.markLean(
    HttpClient.makeWith(() => Effect.die("not used"), Effect.succeed) as any,
    (request, sanitized) =>
      Effect.async((resume) => {
        queueMicrotask(() => {
          const a = answer(request.method, request.url, request.headers["authorization"] !== undefined)
          resume(Effect.succeed(new Redaction.SafeResponse(sanitized, a.status, a.headers, encoder.encode(a.body))))
        })
      })
  )
  const runtime = ManagedRuntime.make(
    SecretClient.layer({ vaultUrl: VAULT }).pipe(
      Layer.provide(Credential.layerStatic(Redacted.make("bench-token"))),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, fake))
    )
  )
  const ours = await runtime.runPromise(SecretClient.SecretClient)
  const oursRun = (n: number) =>
    runtime.runPromise<void, unknown>(
      scenario === "get"
        ? Effect.forEach(Array.from({ length: n }), () => ours.getSecret(NAME), { discard: true })
        : scenario === "set"
        ? Effect.forEach(Array.from({ length: n }), () => ours.setSecret(NAME, VALUE), { discard: true })
        : Effect.forEach(Array.from({ length: n / 200 }), () => Stream.runCount(ours.listPropertiesOfSecrets()), { discard: true })
    )

  // Official: its HttpClient interface, same answers, one microtask.
  const { SecretClient: Official } = await import("@azure/keyvault-secrets")
  // The official SDK's own core (not a root dependency): resolved from where the SDK is installed.
  const { createHttpHeaders } = createRequire(createRequire(import.meta.url).resolve("@azure/keyvault-secrets"))(
    "@azure/core-rest-pipeline"
  ) as { createHttpHeaders: (raw?: Record<string, string>) => any }
  const official = new Official(VAULT, {
    getToken: async () => ({ token: "bench-token", expiresOnTimestamp: Date.now() + 3_600_000 })
  }, {
    httpClient: {
      sendRequest: async (request) => {
        await null
        const a = answer(request.method, request.url, request.headers.has("authorization"))
        return { request, status: a.status, headers: createHttpHeaders(a.headers), bodyAsText: a.body }
      }
    },
    retryOptions: { maxRetries: 0 }
  })
  const officialRun = async (n: number) => {
    if (scenario === "get") for (let i = 0; i < n; i++) await official.getSecret(NAME)
    else if (scenario === "set") for (let i = 0; i < n; i++) await official.setSecret(NAME, VALUE)
    else for (let i = 0; i < n / 200; i++) for await (const _ of official.listPropertiesOfSecrets()) { /* drain */ }
  }

  const measure = async (run: (n: number) => Promise<unknown>) => {
    const c0 = process.cpuUsage()
    await run(ops)
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / (scenario === "list200" ? ops / 200 : ops)
  }
  await oursRun(ops)
  await officialRun(ops)
  const samples = { ours: [] as Array<number>, official: [] as Array<number> }
  for (let r = 0; r < rounds; r++) {
    samples.ours.push(await measure(oursRun))
    samples.official.push(await measure(officialRun))
  }
  const o = median(samples.ours)
  const off = median(samples.official)
  console.log(table(["client", `CPU µs per ${scenario === "list200" ? "listing of 200" : scenario}`], [
    ["ours (in-memory transport)", fmtNumber(o, 1)],
    ["official (in-memory HttpClient)", fmtNumber(off, 1)],
    ["ours ÷ official", `${(o / off).toFixed(2)}×`]
  ]))
  await runtime.dispose()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
