/**
 * The emulator's own CPU cost per operation (issue 11): listing 10,000 secrets page by page, and single
 * gets and sets, measured
 *  - in process: straight through `Emulator.makeHandler` (web Request in, Response out, no sockets);
 *  - over HTTP: a plain-HTTP emulator in a child process, driven from this process with undici; the
 *    figure is the CPU the server process spent (its own `process.cpuUsage`, read over IPC), so the
 *    client's cost is not in it.
 *
 * Run: `pnpm tsx bench/emulator-cost.ts [--items 10000] [--ops 2000] [--out bench/results/emulator-cost.json]`
 * Not part of `pnpm test`.
 */
import * as Emulator from "../packages/emulator/src/Emulator.js"
import { Effect, Exit, Scope } from "effect"
import { fork } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Agent, request } from "undici"

const TOKEN = "bench-token"
const API = "7.6"
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : process.argv[i + 1]!
}
const ITEMS = Number(arg("items", "10000"))
const OPS = Number(arg("ops", "2000"))
const OUT = arg("out", "")

const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system
const seedList = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `secret-${i.toString().padStart(6, "0")}`, value: `value-${i}` }))

/** The child: a plain-HTTP emulator that reports its CPU on request. */
const serve = async () => {
  const emulator = await Emulator.startServer({ tls: false, token: TOKEN })
  await Effect.runPromise(emulator.engine.seed(seedList(ITEMS)))
  process.on("message", (m: unknown) => {
    if (m === "cpu") process.send!({ cpu: cpuMicros(process.cpuUsage()) })
    if (m === "stop") void emulator.close().then(() => process.exit(0))
  })
  process.send!({ url: emulator.url })
}

/** The child for comparison: a bare node:http server answering every GET with a canned secret bundle. */
const serveBare = () => {
  const body = JSON.stringify({
    value: "value-1",
    id: "http://127.0.0.1/secrets/secret-000001/0123456789abcdef0123456789abcdef",
    attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 }
  })
  const server = http.createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "x-ms-request-id": crypto.randomUUID() })
      res.end(body)
    })
  })
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number }
    process.on("message", (m: unknown) => {
      if (m === "cpu") process.send!({ cpu: cpuMicros(process.cpuUsage()) })
      if (m === "stop") server.close(() => process.exit(0))
    })
    process.send!({ url: `http://127.0.0.1:${port}` })
  })
}

interface Figures {
  readonly listAllMs: number
  readonly listPages: number
  readonly listPerPageUs: number
  readonly getUs: number
  readonly setUs: number
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Runs `drive` three times and keeps the median CPU of `measure`. */
const runInProcess = async (): Promise<Figures> => {
  const scope = Effect.runSync(Scope.make())
  const { engine, handler } = await Effect.runPromise(Scope.extend(Emulator.makeHandler({ token: TOKEN }), scope))
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
  return { listAllMs: list / 1000, listPages: pages, listPerPageUs: list / pages, getUs: median(gets), setUs: median(sets) }
}

/** Server CPU per GET of a bare node:http JSON server (the yardstick), same client and agent. */
const runBare = async (): Promise<number> => {
  const child = fork(fileURLToPath(import.meta.url), ["--bare"], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const next = () => new Promise<any>((resolve) => child.once("message", resolve))
  const { url } = await next()
  const serverCpu = async () => {
    child.send("cpu")
    return (await next()).cpu as number
  }
  const dispatcher = new Agent({ connections: 4 })
  try {
    const gets: Array<number> = []
    for (let r = 0; r < 3; r++) {
      const before = await serverCpu()
      for (let i = 0; i < OPS; i++) {
        const res = await request(`${url}/secrets/secret-${i}?api-version=${API}`, { dispatcher, headers: { authorization: `Bearer ${TOKEN}` } })
        await res.body.text()
      }
      gets.push(((await serverCpu()) - before) / OPS)
    }
    return median(gets)
  } finally {
    await dispatcher.close()
    child.send("stop")
    await new Promise((done) => child.once("exit", done))
  }
}

const runOverHttp = async (): Promise<Figures> => {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", "--items", String(ITEMS)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const next = () => new Promise<any>((resolve) => child.once("message", resolve))
  const { url } = await next()
  const serverCpu = async () => {
    child.send("cpu")
    return (await next()).cpu as number
  }
  const dispatcher = new Agent({ connections: 4 })
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
  try {
    const lists: Array<number> = []
    let pages = 0
    for (let r = 0; r < 3; r++) {
      const before = await serverCpu()
      let link: string | null = `${url}/secrets?api-version=${API}`
      let items = 0
      pages = 0
      while (link !== null) {
        const body = JSON.parse(await call("GET", link)) as { value: Array<unknown>; nextLink: string | null }
        items += body.value.length
        pages++
        link = body.nextLink
      }
      if (items !== ITEMS) throw new Error(`listed ${items} of ${ITEMS}`)
      lists.push((await serverCpu()) - before)
    }
    const gets: Array<number> = []
    const sets: Array<number> = []
    for (let r = 0; r < 3; r++) {
      let before = await serverCpu()
      for (let i = 0; i < OPS; i++) {
        await call("GET", `${url}/secrets/secret-${(i % ITEMS).toString().padStart(6, "0")}?api-version=${API}`)
      }
      gets.push(((await serverCpu()) - before) / OPS)
      before = await serverCpu()
      for (let i = 0; i < OPS; i++) {
        await call("PUT", `${url}/secrets/bench-set-${i % 50}?api-version=${API}`, JSON.stringify({ value: `v${i}`, attributes: {} }))
      }
      sets.push(((await serverCpu()) - before) / OPS)
    }
    const list = median(lists)
    return { listAllMs: list / 1000, listPages: pages, listPerPageUs: list / pages, getUs: median(gets), setUs: median(sets) }
  } finally {
    await dispatcher.close()
    child.send("stop")
    await new Promise((done) => child.once("exit", done))
  }
}

const main = async () => {
  const inProcess = await runInProcess()
  const overHttp = await runOverHttp()
  const bareGetUs = await runBare()
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? "unknown"} × ${os.cpus().length}, node ${process.version}`,
    items: ITEMS,
    opsPerRound: OPS,
    note: "CPU µs of the emulator (in process: this process; HTTP: the server process); medians of 3 rounds",
    inProcess,
    overHttp,
    bareNodeHttp: {
      getUs: bareGetUs,
      note: "server CPU per GET of a bare node:http server answering canned JSON; throughput ratio on GET ≈ bare ÷ ours",
      emulatorGetThroughputVsBare: Math.round((bareGetUs / overHttp.getUs) * 100) / 100
    }
  }
  console.log(JSON.stringify(result, null, 2))
  if (OUT !== "") {
    fs.mkdirSync(path.dirname(OUT), { recursive: true })
    fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n")
  }
}

if (process.argv.includes("--serve")) void serve()
else if (process.argv.includes("--bare")) serveBare()
else void main()
