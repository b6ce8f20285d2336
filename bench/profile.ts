/**
 * CPU profile of one client on one scenario against the static responder, measured part only:
 *
 *   node --import tsx bench/profile.ts <client> <get|set|list200|list10k> [ops]
 *
 * Warms up, then records a V8 CPU profile (node:inspector) around `ops` operations, writes it to
 * bench/.cache/<client>-<scenario>.cpuprofile (open in Chrome DevTools) and prints the top self-time
 * functions and the share of busy time per package.
 */
import * as fs from "node:fs"
import * as inspector from "node:inspector/promises"
import * as path from "node:path"
import { isClientId, makeClient } from "./clients.js"
import { compileForBench } from "./compile.js"
import { repoRoot } from "./emulator.js"
import { startResponder } from "./fair.js"
import { table } from "./stats.js"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
}

const area = (url: string): string => {
  if (url === "") return "(native / gc / idle)"
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]!
  if (url.includes("packages/secrets/src") || url.includes("bench/.cache/secrets-js")) return "ours (packages/secrets)"
  if (url.startsWith("node:")) return "node core"
  return url.replace(/^.*\/work\/[^/]+\//, "")
}

const main = async () => {
  const [id, scenario, opsArg] = process.argv.slice(2)
  if (id === undefined || !isClientId(id)) throw new Error("usage: profile.ts <client> <get|set|list200|list10k> [ops]")
  const ops = Number(opsArg ?? (scenario === "list10k" ? 3 : 3000))
  // Compiled JS, as users run it (bench/compile.ts); BENCH_PROFILE_SOURCES=1 profiles the TypeScript sources.
  if (process.env.BENCH_PROFILE_SOURCES !== "1") await compileForBench()
  const responder = await startResponder()
  try {
    const ca = fs.readFileSync(responder.caFile, "utf8")
    const client = await makeClient(id, { url: scenario === "list10k" ? responder.large : responder.small, ca, token: "bench-token" })
    const run = (n: number) =>
      scenario === "get"
        ? client.get("bench-00000", n, 1)
        : scenario === "set"
        ? client.set("bench-00000", "v".repeat(64), n)
        : client.list(n)
    await run(scenario === "list10k" ? 2 : scenario === "list200" ? 50 : 3000)
    const session = new inspector.Session()
    session.connect()
    await session.post("Profiler.enable")
    await session.post("Profiler.setSamplingInterval", { interval: 100 })
    await session.post("Profiler.start")
    const cpu0 = process.cpuUsage()
    await run(ops)
    const cpu = process.cpuUsage(cpu0)
    const { profile } = await session.post("Profiler.stop") as { profile: { nodes: Array<Node> } }
    session.disconnect()
    await client.close()
    const out = path.join(repoRoot, "bench/.cache", `${id}-${scenario}.cpuprofile`)
    fs.mkdirSync(path.dirname(out), { recursive: true })
    fs.writeFileSync(out, JSON.stringify(profile))
    const self = new Map<string, number>()
    const areas = new Map<string, number>()
    let total = 0
    let idle = 0
    for (const n of profile.nodes) {
      const hits = n.hitCount ?? 0
      if (n.callFrame.functionName === "(idle)" || n.callFrame.functionName === "(program)") {
        idle += n.callFrame.functionName === "(idle)" ? hits : 0
      }
      if (n.callFrame.functionName === "(idle)") continue
      total += hits
      const file = n.callFrame.url.replace(/^.*\/(?:src|dist\/esm|lib)\//, "")
      const key = `${n.callFrame.functionName || "(anonymous)"}  ${area(n.callFrame.url)}${n.callFrame.url ? ` ${file}:${n.callFrame.lineNumber + 1}` : ""}`
      self.set(key, (self.get(key) ?? 0) + hits)
      const a = n.callFrame.functionName === "(garbage collector)" ? "(gc)" : area(n.callFrame.url)
      areas.set(a, (areas.get(a) ?? 0) + hits)
    }
    const pct = (x: number) => `${((100 * x) / total).toFixed(1)} %`
    console.log(`${id} ${scenario}: ${ops} ops, client CPU ${((cpu.user + cpu.system) / ops).toFixed(0)} µs/op; profile ${out}`)
    console.log("\nBusy time by package\n")
    console.log(table(["package", "share"], [...areas].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => [k, pct(v)])))
    console.log("\nTop self time\n")
    console.log(table(["function", "share"], [...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => [k, pct(v)])))
  } finally {
    responder.stop()
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
