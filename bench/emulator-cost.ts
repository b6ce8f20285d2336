/**
 * The emulator's own CPU cost per operation (issue 11): single gets and sets and a listing of 10,000 secrets
 * page by page, measured
 *  - in process: straight through `Emulator.makeHandler` (web Request in, Response out, no sockets);
 *  - over HTTP and over HTTPS: the emulator in a child process, driven from this process with undici (one
 *    request in flight, keep-alive); the figure is the CPU the server process spent (its own
 *    `process.cpuUsage`, read over IPC), so the client's cost is not in it.
 *
 * The yardstick (the target: ≥ 0.8× a bare `node:http` JSON server's throughput on GET) is a bare
 * `node:http` / `node:https` server in another child answering every request with a canned secret bundle,
 * over the same scheme, with the same kind of certificate (self-signed RSA 2048, SHA-256) and driven by the
 * same client. Bare and emulator GET batches alternate round by round; figures are medians over rounds.
 * Throughput ratio on GET = bare server CPU per GET ÷ emulator server CPU per GET (CPU-bound servers), at one
 * request in flight and at 16 (a busy server keeps its code in the CPU caches between requests).
 *
 * Run: `pnpm tsx bench/emulator-cost.ts [--items 10000] [--ops 2000] [--rounds 5] [--schemes http,https]
 *   [--no-in-process] [--emulator-src <dir>] [--out bench/results/emulator-cost.json]`
 * `--emulator-src` measures another copy of `packages/emulator/src` (e.g. an earlier commit's, extracted with
 * `git archive <commit> packages/emulator | tar -x -C bench/.cache/before` plus a `node_modules` symlink to
 * `packages/emulator/node_modules`) against the same yardstick.
 * Not part of `pnpm test`.
 */
import * as Emulator from "../packages/emulator/src/Emulator.js"
import { Effect, Exit, Scope } from "effect"
import { fork } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Agent, request } from "undici"
import { repoRoot } from "./emulator.js"
import { machine } from "./machine.js"

const TOKEN = "bench-token"
const API = "7.6"
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : process.argv[i + 1]!
}
const ITEMS = Number(arg("items", "10000"))
const OPS = Number(arg("ops", "2000"))
const ROUNDS = Number(arg("rounds", "5"))
const SCHEMES = arg("schemes", "http,https").split(",").filter((s): s is "http" | "https" => s === "http" || s === "https")
const IN_PROCESS = !process.argv.includes("--no-in-process")
const OUT = arg("out", "")
const EMULATOR_SRC = arg("emulator-src", "")
const loadEmulator = async (): Promise<typeof Emulator> =>
  EMULATOR_SRC === "" ? Emulator : await import(pathToFileURL(path.resolve(EMULATOR_SRC, "Emulator.ts")).href)

// The emulator's certificate generator (a dependency of packages/emulator, not of the root).
const selfsigned = createRequire(path.join(repoRoot, "packages/emulator/package.json"))("selfsigned") as {
  generate: (attrs: Array<{ name: string; value: string }>, options: Record<string, unknown>) => Promise<{ private: string; cert: string }>
}

const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system
const seedList = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `secret-${i.toString().padStart(6, "0")}`, value: `value-${i}` }))
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const spread = (xs: ReadonlyArray<number>) => (Math.max(...xs) - Math.min(...xs)) / median(xs)
const round1 = (x: number) => Math.round(x * 10) / 10
const round2 = (x: number) => Math.round(x * 100) / 100

/** A child server reports its CPU when asked and stops on "stop". */
const reportOverIpc = (url: string, certificatePem: string | undefined, close: () => Promise<unknown>) => {
  process.on("message", (m: unknown) => {
    if (m === "cpu") process.send!({ cpu: cpuMicros(process.cpuUsage()) })
    if (m === "stop") void close().then(() => process.exit(0))
  })
  process.send!({ url, certificatePem })
}

/** The child: an emulator (HTTPS with its own self-signed certificate unless --http). */
const serveEmulator = async (tls: boolean) => {
  const emulator = await (await loadEmulator()).startServer({ tls, token: TOKEN })
  await Effect.runPromise(emulator.engine.seed(seedList(ITEMS)))
  reportOverIpc(emulator.url, emulator.certificatePem, emulator.close)
}

/** The child for comparison: a bare node:http(s) server answering every request with a canned secret bundle. */
const serveBare = async (tls: boolean) => {
  const body = JSON.stringify({
    value: "value-1",
    id: "http://127.0.0.1/secrets/secret-000001/0123456789abcdef0123456789abcdef",
    attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 }
  })
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "x-ms-request-id": crypto.randomUUID() })
      res.end(body)
    })
  }
  // The same kind of certificate as the emulator's: self-signed RSA 2048, SHA-256.
  const pems = tls
    ? await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }]
    })
    : undefined
  const server = pems ? https.createServer({ key: pems.private, cert: pems.cert }, handler) : http.createServer(handler)
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number }
    reportOverIpc(`${tls ? "https" : "http"}://127.0.0.1:${port}`, pems?.cert, () => new Promise((done) => server.close(done)))
  })
}

/** A server child and a client for it (keep-alive, up to 16 connections). */
const startChild = async (kind: "emulator" | "bare", scheme: "http" | "https") => {
  const child = fork(fileURLToPath(import.meta.url), [
    "--serve",
    kind,
    "--scheme",
    scheme,
    "--items",
    String(ITEMS),
    ...(EMULATOR_SRC !== "" ? ["--emulator-src", EMULATOR_SRC] : [])
  ], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const next = () => new Promise<any>((resolve) => child.once("message", resolve))
  const { url, certificatePem } = (await next()) as { url: string; certificatePem: string | undefined }
  const dispatcher = new Agent({ connections: 16, ...(certificatePem !== undefined ? { connect: { ca: certificatePem } } : {}) })
  const headers = { authorization: `Bearer ${TOKEN}` }
  const call = async (method: "GET" | "PUT", target: string, body?: string) => {
    const res = await request(target, {
      method,
      dispatcher,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      ...(body !== undefined ? { body } : {})
    })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new Error(`${method} ${target}: ${res.statusCode} ${text}`)
    return text
  }
  const serverCpu = async () => {
    child.send("cpu")
    return (await next()).cpu as number
  }
  /** Server CPU µs per operation of `ops` runs of `op`, `concurrency` in flight. */
  const perOp = async (ops: number, op: (i: number) => Promise<unknown>, concurrency = 1) => {
    const before = await serverCpu()
    let next = 0
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < ops) await op(next++)
    }))
    return ((await serverCpu()) - before) / ops
  }
  const get = (i: number) => call("GET", `${url}/secrets/secret-${(i % ITEMS).toString().padStart(6, "0")}?api-version=${API}`)
  const set = (i: number) =>
    call("PUT", `${url}/secrets/bench-set-${i % 50}?api-version=${API}`, JSON.stringify({ value: `v${i}`, attributes: {} }))
  const listAll = async () => {
    let link: string | null = `${url}/secrets?api-version=${API}`
    let items = 0
    let pages = 0
    while (link !== null) {
      const body = JSON.parse(await call("GET", link)) as { value: Array<unknown>; nextLink: string | null }
      items += body.value.length
      pages++
      link = body.nextLink
    }
    // The seeded secrets plus the (up to 50) the set batches wrote.
    if (items < ITEMS || items > ITEMS + 50) throw new Error(`listed ${items} of ${ITEMS} (+ up to 50 set)`)
    return pages
  }
  const stop = async () => {
    await dispatcher.close()
    child.send("stop")
    await new Promise((done) => child.once("exit", done))
  }
  return { perOp, get, set, listAll, stop }
}

/** One scheme: bare and emulator GET (and PUT) batches interleaved round by round, then the emulator's listing. */
const runScheme = async (scheme: "http" | "https") => {
  const [bare, emulator] = await Promise.all([startChild("bare", scheme), startChild("emulator", scheme)])
  try {
    // Warm-up (JIT, TLS sessions), not measured: a full batch of each kind first.
    for (const side of [bare, emulator]) {
      await side.perOp(OPS, side.get)
      await side.perOp(OPS, side.set)
    }
    const samples = {
      bareGet: [] as Array<number>,
      bareGet16: [] as Array<number>,
      bareSet: [] as Array<number>,
      get: [] as Array<number>,
      get16: [] as Array<number>,
      set: [] as Array<number>
    }
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate who goes first, so a load change during a round hits both sides alike.
      const order = r % 2 === 0 ? ["bare", "emulator"] as const : ["emulator", "bare"] as const
      for (const who of order) {
        const side = who === "bare" ? bare : emulator
        ;(who === "bare" ? samples.bareGet : samples.get).push(await side.perOp(OPS, side.get))
        ;(who === "bare" ? samples.bareGet16 : samples.get16).push(await side.perOp(OPS, side.get, 16))
        ;(who === "bare" ? samples.bareSet : samples.set).push(await side.perOp(OPS, side.set))
      }
    }
    const lists: Array<number> = []
    let pages = 0
    for (let r = 0; r < 3; r++) {
      lists.push(await emulator.perOp(1, async () => {
        pages = await emulator.listAll()
      }))
    }
    const bareGetUs = median(samples.bareGet)
    const getUs = median(samples.get)
    return {
      bare: {
        getUs: round1(bareGetUs),
        getSpread: round2(spread(samples.bareGet)),
        get16Us: round1(median(samples.bareGet16)),
        setUs: round1(median(samples.bareSet))
      },
      emulator: {
        getUs: round1(getUs),
        getSpread: round2(spread(samples.get)),
        get16Us: round1(median(samples.get16)),
        get16Spread: round2(spread(samples.get16)),
        setUs: round1(median(samples.set)),
        setSpread: round2(spread(samples.set)),
        listAllMs: round1(median(lists) / 1000),
        listPages: pages,
        listPerPageUs: round1(median(lists) / pages)
      },
      getCpuVsBare: round2(getUs / bareGetUs),
      getThroughputVsBare: round2(bareGetUs / getUs),
      get16ThroughputVsBare: round2(median(samples.bareGet16) / median(samples.get16)),
      setThroughputVsBare: round2(median(samples.bareSet) / median(samples.set)),
      samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map(round1)]))
    }
  } finally {
    await Promise.all([bare.stop(), emulator.stop()])
  }
}

const runInProcess = async () => {
  const scope = Effect.runSync(Scope.make())
  const { engine, handler } = await Effect.runPromise(Scope.extend((await loadEmulator()).makeHandler({ token: TOKEN }), scope))
  await Effect.runPromise(engine.seed(seedList(ITEMS)))
  const base = "https://emulator.vault.azure.net"
  const headers = { authorization: `Bearer ${TOKEN}` }
  const listAll = async () => {
    let link: string | null = `${base}/secrets?api-version=${API}`
    let pages = 0
    let items = 0
    while (link !== null) {
      const res = await handler(new Request(link, { headers }))
      const body = (await res.json()) as { value: Array<unknown>; nextLink: string | null }
      items += body.value.length
      pages++
      link = body.nextLink
    }
    if (items !== ITEMS) throw new Error(`listed ${items} of ${ITEMS}`)
    return pages
  }
  const lists: Array<number> = []
  let pages = 0
  for (let r = 0; r < 3; r++) {
    const before = process.cpuUsage()
    pages = await listAll()
    lists.push(cpuMicros(process.cpuUsage(before)))
  }
  const gets: Array<number> = []
  const sets: Array<number> = []
  for (let r = 0; r < 3; r++) {
    let before = process.cpuUsage()
    for (let i = 0; i < OPS; i++) {
      const res = await handler(new Request(`${base}/secrets/secret-${(i % ITEMS).toString().padStart(6, "0")}?api-version=${API}`, { headers }))
      if (res.status !== 200) throw new Error(`get ${res.status}`)
      await res.arrayBuffer()
    }
    gets.push(cpuMicros(process.cpuUsage(before)) / OPS)
    before = process.cpuUsage()
    for (let i = 0; i < OPS; i++) {
      const res = await handler(
        new Request(`${base}/secrets/bench-set-${i % 50}?api-version=${API}`, {
          method: "PUT",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ value: `v${i}`, attributes: {} })
        })
      )
      if (res.status !== 200) throw new Error(`set ${res.status}`)
      await res.arrayBuffer()
    }
    sets.push(cpuMicros(process.cpuUsage(before)) / OPS)
  }
  await Effect.runPromise(Scope.close(scope, Exit.void))
  const list = median(lists)
  return {
    listAllMs: round1(list / 1000),
    listPages: pages,
    listPerPageUs: round1(list / pages),
    getUs: round1(median(gets)),
    setUs: round1(median(sets))
  }
}

const main = async () => {
  const before = machine()
  const overSocket: Record<string, Awaited<ReturnType<typeof runScheme>>> = {}
  for (const scheme of SCHEMES) overSocket[scheme] = await runScheme(scheme)
  const inProcess = IN_PROCESS ? await runInProcess() : undefined
  const result = {
    date: new Date().toISOString(),
    machine: { ...before, loadAverageAtEnd: machine().loadAverage },
    emulatorSource: EMULATOR_SRC === "" ? "packages/emulator/src" : EMULATOR_SRC,
    items: ITEMS,
    opsPerBatch: OPS,
    rounds: ROUNDS,
    note: "Server CPU µs per operation (user + system of the server process), one request in flight (get16: 16), keep-alive; " +
      "medians over rounds, spread = (max − min) / median. getThroughputVsBare = bare CPU per GET ÷ emulator CPU " +
      "per GET (target ≥ 0.8). bare = node:http(s) answering a canned secret bundle, same scheme and kind of certificate.",
    ...overSocket,
    ...(inProcess !== undefined ? { inProcess } : {})
  }
  console.log(JSON.stringify(result, null, 2))
  if (OUT !== "") {
    fs.mkdirSync(path.dirname(OUT), { recursive: true })
    fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n")
  }
}

if (process.argv.includes("--serve")) {
  const tls = arg("scheme", "http") === "https"
  void (arg("serve", "emulator") === "bare" ? serveBare(tls) : serveEmulator(tls))
} else {
  void main()
}
