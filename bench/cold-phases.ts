/**
 * Where a cold start goes, phase by phase, for the programs in bench/cold/ (bundled as bench/extras.ts bundles
 * them), against the static responder. Spawn-to-first-line medians are too noisy on a shared box to compare
 * programs ms by ms; the phases inside one process are steadier, and they say which part differs:
 *
 * - start → entry: node start-up, compiling and evaluating the bundle (every module's top level);
 * - entry → 1st request: building layers and the client, the transport's own start-up (Node loads its fetch
 *   implementation on the first `fetch` call);
 * - 1st request → its response head: connection, TLS handshake, the 401 challenge;
 * - → 2nd request: handling the challenge, the token; 2nd request → its response head; → first line printed;
 * - connections: TLS connections opened (1 when the authorized request reuses the probe's connection).
 *
 *   pnpm tsx bench/cold-phases.ts [--runs N] [--latency MS] [program ...]   # default: 15 runs of every bench/cold/*.ts
 *
 * `--latency MS` puts a TCP proxy in front of the responder that delays every chunk by MS in each direction (a
 * network round trip of 2·MS for TLS and HTTP; the TCP handshake itself stays local), so what a round trip
 * costs shows: an extra connection, a challenge.
 *
 * Timestamps come from bench/cold-preload.cjs (diagnostics_channel for undici, fetch and node:http) and a line
 * the bundler inserts after the entry's imports. A "request" is undici's request creation (fetch, undici) or
 * node:http's request start, which node:http stamps after the connection is up: for node:https programs the
 * handshake falls in "→ 1st request", not in "1st response". Prints a table; writes nothing.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { repoRoot } from "./emulator.js"
import { coldBundleOptions } from "./extras.js"
import { startResponder } from "./fair.js"
import { fmtNumber, median, table } from "./stats.js"

const args = process.argv.slice(2)
const runsAt = args.indexOf("--runs")
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 15
const latencyAt = args.indexOf("--latency")
const latency = latencyAt >= 0 ? Number(args.splice(latencyAt, 2)[1]) : 0
const programs = args.length > 0
  ? args
  : fs.readdirSync(path.join(repoRoot, "bench/cold")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort()

const cacheDir = path.join(repoRoot, "bench/.cache")
fs.mkdirSync(cacheDir, { recursive: true })

/** The program bundled as in bench/extras.ts, plus one line after its imports that stamps "entry". */
const bundle = async (program: string) => {
  const esbuild = await import("esbuild")
  const entry = path.join(repoRoot, "bench/cold", `${program}.ts`)
  const outfile = path.join(cacheDir, `phases-${program}.cjs`)
  await esbuild.build({
    ...coldBundleOptions,
    entryPoints: [entry],
    outfile,
    plugins: [{
      name: "entry-stamp",
      setup: (build) =>
        build.onLoad({ filter: /\.ts$/ }, (file) => {
          if (file.path !== entry) return undefined
          const lines = fs.readFileSync(file.path, "utf8").split("\n")
          const afterImports = lines.reduce((last, l, i) => (/^import /.test(l) ? i + 1 : last), 0)
          lines.splice(afterImports, 0, `process.stderr.write("@@entry " + performance.now() + "\\n")`)
          return { contents: lines.join("\n"), loader: "ts" }
        })
    }]
  })
  return outfile
}

interface Phases {
  readonly entry: number
  readonly toRequest1: number
  readonly response1: number
  readonly toRequest2: number
  readonly response2: number
  readonly toLine: number
  readonly total: number
  readonly connections: number
}

const files: Record<string, string> = {}
for (const p of programs) files[p] = await bundle(p)
/** A TCP proxy to `target` delaying every chunk by `ms` each way. */
const delayingProxy = (target: URL, ms: number): Promise<{ readonly url: string; readonly close: () => void }> =>
  new Promise((resolve) => {
    const delayed = (from: net.Socket, to: net.Socket) => from.on("data", (chunk) => setTimeout(() => to.write(chunk), ms))
    // No Nagle on either side: a small write waiting for a delayed ACK would add ~40 ms that no network adds.
    const server = net.createServer({ noDelay: true }, (client) => {
      const upstream = net.connect({ port: Number(target.port), host: target.hostname, noDelay: true })
      delayed(client, upstream)
      delayed(upstream, client)
      for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
        a.on("close", () => setTimeout(() => b.destroy(), ms))
        a.on("error", () => b.destroy())
      }
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        close: () => server.close()
      }))
  })

/** Runs one program; stdout and stderr in full. Asynchronous: the proxy runs in this process. */
const run = (file: string, env: NodeJS.ProcessEnv): Promise<{ readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ["-r", path.join(repoRoot, "bench/cold-preload.cjs"), file], { env })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("exit", () => resolve({ stdout, stderr }))
  })

const responder = await startResponder()
const proxy = latency > 0 ? await delayingProxy(new URL(responder.small), latency) : undefined
const samples: Record<string, Array<Phases>> = Object.fromEntries(programs.map((p) => [p, []]))
try {
  const url = proxy?.url ?? responder.small
  const env = { ...process.env, NODE_OPTIONS: "", BENCH_URL: url, NODE_EXTRA_CA_CERTS: responder.caFile }
  const once = async (p: string): Promise<Phases> => {
    const r = await run(files[p]!, env)
    const events = JSON.parse(/@@events (.*)/.exec(r.stderr)?.[1] ?? "null") as Array<[string, number]> | null
    if (r.stdout.trim() !== "v".repeat(64) || events === null) throw new Error(`${p}: ${r.stdout} ${r.stderr.slice(0, 500)}`)
    const at = (kind: string, n: number) => events.filter(([k]) => k === kind)[n]?.[1] ?? Number.NaN
    const entry = Number(/@@entry ([\d.]+)/.exec(r.stderr)?.[1])
    const line = at("stdout", 0)
    const lastResponse = Number.isNaN(at("response", 1)) ? at("response", 0) : at("response", 1)
    return {
      entry,
      toRequest1: at("request", 0) - entry,
      response1: at("response", 0) - at("request", 0),
      toRequest2: at("request", 1) - at("response", 0),
      response2: at("response", 1) - at("request", 1),
      toLine: line - lastResponse,
      total: line,
      connections: events.filter(([k]) => k === "connect").length
    }
  }
  await once(programs[0]!) // warms the OS file cache
  // Interleaved: run i of every program, then run i+1, so load drift hits them alike.
  for (let i = 0; i < runs; i++) for (const p of programs) samples[p]!.push(await once(p))
} finally {
  proxy?.close()
  responder.stop()
}

const cols: ReadonlyArray<readonly [keyof Phases, string]> = [
  ["entry", "start → entry"],
  ["toRequest1", "→ 1st request"],
  ["response1", "1st response"],
  ["toRequest2", "→ 2nd request"],
  ["response2", "2nd response"],
  ["toLine", "→ line printed"],
  ["total", "total"],
  ["connections", "TLS connections"]
]
const med = (xs: ReadonlyArray<number>) => {
  const ok = xs.filter((x) => !Number.isNaN(x))
  return ok.length === 0 ? "–" : fmtNumber(median(ok), 1)
}
const network = latency > 0 ? `, ${latency} ms each way (round trip ${2 * latency} ms)` : ", loopback"
console.log(`\nCold-start phases, ms since the process started (median of ${runs} runs each, interleaved${network})\n`)
console.log(table(["program", ...cols.map(([, h]) => h)], programs.map((p) => [p, ...cols.map(([k]) => med(samples[p]!.map((s) => s[k])))])))
