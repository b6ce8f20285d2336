import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { q, viaFetch, viaHttps } from "./utils.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const bin = path.join(root, "packages/emulator/src/bin.ts")
const tsx = path.join(root, "node_modules/.bin/tsx")

const run = (args: Array<string>) => {
  const child = spawn(tsx, [bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const ready = new Promise<{ url: string; cert: string | undefined }>((resolve, reject) => {
    const check = () => {
      const url = /listening at (\S+)/.exec(stdout)?.[1]
      if (url !== undefined && (url.startsWith("http:") || /Certificate \(PEM\): (\S+)/.test(stdout))) {
        resolve({ url, cert: /Certificate \(PEM\): (\S+)/.exec(stdout)?.[1] })
      }
    }
    child.stdout.on("data", check)
    child.on("exit", () => reject(new Error(`exited early: ${stderr}`)))
  })
  return { child, ready, exited, output: () => ({ stdout, stderr }) }
}

const stop = async (child: ChildProcess, exited: Promise<number | null>) => {
  child.kill("SIGTERM")
  return exited
}

describe("CLI (pnpm emulator)", () => {
  it.live("unknown flag prints usage and exits 2", () =>
    Effect.promise(async () => {
      const p = run(["--nope"])
      p.ready.catch(() => undefined)
      expect(await p.exited).toBe(2)
      expect(p.output().stderr).toContain("Usage: pnpm emulator")
    }), 60_000)

  it.live("--http --token: prints the URL, serves, stops cleanly on SIGTERM", () =>
    Effect.promise(async () => {
      const p = run(["--http", "--token", "cli-token", "--port", "0"])
      const { url } = await p.ready
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const send = viaFetch(url)
      expect((await send("GET", `/secrets?${q()}`, { auth: "Bearer wrong" })).status).toBe(401)
      const put = await send("PUT", `/secrets/cli?${q()}`, { body: { value: "v" }, auth: "Bearer cli-token" })
      expect(put.status).toBe(200)
      expect(await stop(p.child, p.exited)).toBe(0)
    }), 60_000)

  it.live("HTTPS with --data: certificate written next to the data file; state survives a restart", () =>
    Effect.promise(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-cli-"))
      const data = path.join(dir, "vault.json")
      try {
        const first = run(["--data", data])
        const a = await first.ready
        expect(a.cert).toBe(`${data}.cert.pem`)
        const send = viaHttps(a.url, fs.readFileSync(a.cert!, "utf8"))
        expect((await send("PUT", `/secrets/durable?${q()}`, { body: { value: "kept" } })).status).toBe(200)
        expect(await stop(first.child, first.exited)).toBe(0)

        const second = run(["--data", data, "--http"])
        const b = await second.ready
        expect((await viaFetch(b.url)("GET", `/secrets/durable/?${q()}`)).json.value).toBe("kept")
        expect(await stop(second.child, second.exited)).toBe(0)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }), 60_000)
})
