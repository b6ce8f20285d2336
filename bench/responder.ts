/**
 * A static Key Vault responder for the fair benchmark: HTTPS, canned JSON built once at start, next to
 * nothing per request, so the client under test dominates. Runs in its own process:
 *
 *   node --import tsx bench/responder.ts
 *
 * prints one JSON line `{ "urls": { "small": ..., "large": ... }, "caFile": ..., "pid": ... }` on stdout.
 * Two vaults (one port each): `small` holds 200 secrets, `large` 10,000 (for listings; get/set answer the
 * same on both). Every request without an `authorization` header gets Key Vault's 401 challenge, like the
 * real service. `GET /__stats` returns the responder's own CPU time and request count.
 */
import * as fs from "node:fs"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
// The emulator's certificate generator (a dependency of packages/emulator, not of the root).
const selfsigned = createRequire(path.join(repoRoot, "packages/emulator/package.json"))("selfsigned") as {
  generate: (attrs: Array<{ name: string; value: string }>, options: Record<string, unknown>) => Promise<{ private: string; cert: string }>
}

export const API_VERSION = "2026-04-01"
export const PAGE_SIZE = 25
export const VALUE = "v".repeat(64)
const created = 1_764_000_000

const bundle = (origin: string, name: string, withValue: boolean) => ({
  ...(withValue ? { value: VALUE } : {}),
  id: withValue
    ? `${origin}/secrets/${name}/0123456789abcdef0123456789abcdef`
    : `${origin}/secrets/${name}`,
  attributes: {
    enabled: true,
    created,
    updated: created,
    recoveryLevel: "Recoverable+Purgeable",
    recoverableDays: 90
  },
  tags: { env: "bench" }
})

const challenge = Buffer.from(JSON.stringify({
  error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." }
}))
const challengeHeader = `Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"`

interface Vault {
  readonly secretBody: Buffer
  readonly pages: ReadonlyArray<Buffer>
}

const makeVault = (origin: string, count: number): Vault => {
  const names = Array.from({ length: count }, (_, i) => `bench-${String(i).padStart(5, "0")}`)
  const pages: Array<Buffer> = []
  for (let p = 0; p * PAGE_SIZE < count; p++) {
    const items = names.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE).map((n) => bundle(origin, n, false))
    const last = (p + 1) * PAGE_SIZE >= count
    pages.push(Buffer.from(JSON.stringify({
      value: items,
      nextLink: last ? null : `${origin}/secrets?api-version=${API_VERSION}&$skiptoken=${p + 1}&maxresults=${PAGE_SIZE}`
    })))
  }
  return { secretBody: Buffer.from(JSON.stringify(bundle(origin, "bench-00000", true))), pages }
}

const main = async () => {
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keySize: 2048,
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }]
  })
  let requests = 0
  const jsonHeaders = (length: number) => ({
    "content-type": "application/json; charset=utf-8",
    "content-length": length,
    "x-ms-request-id": "00000000-0000-0000-0000-000000000000"
  })
  const listen = (count: number) =>
    new Promise<string>((resolve) => {
      let vault: Vault | undefined
      const server = https.createServer({ key: pems.private, cert: pems.cert, keepAliveTimeout: 60_000 }, (req, res) => {
        requests++
        const url = req.url ?? "/"
        // Request bodies (set) are drained, not parsed: the responder must stay cheap.
        req.resume()
        req.on("end", () => {
          if (url === "/__stats") {
            const cpu = process.cpuUsage()
            const body = Buffer.from(JSON.stringify({ cpuMicros: cpu.user + cpu.system, requests }))
            res.writeHead(200, jsonHeaders(body.length)).end(body)
            return
          }
          if (req.headers.authorization === undefined) {
            res.writeHead(401, { ...jsonHeaders(challenge.length), "www-authenticate": challengeHeader }).end(challenge)
            return
          }
          const v = vault!
          if (url.startsWith("/secrets?")) {
            const skip = /\$skiptoken=(\d+)/.exec(url)
            const page = v.pages[skip === null ? 0 : Number(skip[1])]
            if (page !== undefined) return void res.writeHead(200, jsonHeaders(page.length)).end(page)
          } else if (url.startsWith("/secrets/") && (req.method === "GET" || req.method === "PUT")) {
            return void res.writeHead(200, jsonHeaders(v.secretBody.length)).end(v.secretBody)
          }
          const nf = Buffer.from(JSON.stringify({ error: { code: "NotFound", message: `no route ${req.method} ${url}` } }))
          res.writeHead(404, jsonHeaders(nf.length)).end(nf)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
        vault = makeVault(origin, count)
        resolve(origin)
      })
    })
  const [small, large] = await Promise.all([listen(200), listen(10_000)])
  const caFile = path.join(os.tmpdir(), `effect-keyvault-responder-${process.pid}.pem`)
  fs.writeFileSync(caFile, pems.cert)
  const cleanup = () => {
    fs.rmSync(caFile, { force: true })
    process.exit(0)
  }
  process.on("SIGTERM", cleanup)
  process.on("SIGINT", cleanup)
  process.stdout.write(`${JSON.stringify({ urls: { small, large }, caFile, pid: process.pid })}\n`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
