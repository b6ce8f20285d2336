// Import time of our package (compiled to JS, path in argv[2]) on top of effect + @effect/platform,
// in a fresh process without tsx. Prints {"base": ms, "ours": ms}. Spawned by bench/extras.ts.
import * as path from "node:path"

const t0 = performance.now()
await import("effect")
await import("@effect/platform/HttpClient")
await import("@effect/platform/HttpClientRequest")
await import("@effect/platform/HttpClientResponse")
const t1 = performance.now()
await import(path.join(process.argv[2], "index.js"))
const t2 = performance.now()
process.stdout.write(`${JSON.stringify({ base: t1 - t0, ours: t2 - t1 })}\n`)
