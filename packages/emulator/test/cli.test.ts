import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { check } from "../../../scripts/readme-snippets.js"
import { clientSnippet } from "../src/internal/cli.js"
import { version } from "../src/internal/version.js"
import { runCli } from "./cliProcess.js"
import { q, viaFetch, viaHttps } from "./utils.js"

const packageJson = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../package.json")
// A cold tsx start on a loaded 2-core machine can take several seconds.
const SLOW = 90_000

// Each test runs its own processes; running them side by side keeps the file's wall time near its slowest test.
describe.concurrent("CLI (effect-keyvault-emulator)", () => {
  it("--version prints the package.json version", async () => {
    expect(version).toBe(JSON.parse(fs.readFileSync(packageJson, "utf8")).version)
    const p = runCli(["--version"])
    expect(await p.exited).toBe(0)
    expect(p.output().stdout.trim()).toBe(version)
  }, SLOW)

  it("--help lists every flag and the installed command, not only pnpm emulator", async () => {
    const p = runCli(["--help"])
    expect(await p.exited).toBe(0)
    const help = p.output().stdout
    for (
      const flag of [
        "--port",
        "--host",
        "--http",
        "--token",
        "--data",
        "--instant",
        "--no-delays",
        "--delete-delay",
        "--recover-delay",
        "--purge-delay",
        "--recovery-level",
        "--recoverable-days",
        "--challenge-resource",
        "--tenant-id",
        "--authority",
        "--health-path",
        "--throttle",
        "--verbose",
        "--version"
      ]
    ) expect(help).toContain(flag)
    expect(help).toContain("npx effect-keyvault-emulator")
  }, SLOW)

  it("unknown flag or bad value: says what is wrong on stderr and exits 2", async () => {
    const runs = [["--nope"], ["--port", "70000"], ["--delete-delay", "soon"]].map(runCli)
    for (const p of runs) {
      expect(await p.exited).toBe(2)
      expect(p.output().stderr).toContain("--help")
      expect(p.output().stdout).not.toContain("listening")
    }
    expect(runs[1]!.output().stderr).toContain("--port: expected 0..65535, got 70000")
    expect(runs[2]!.output().stderr).toContain(`--delete-delay: expected e.g. 2s, 500ms or 0, got "soon"`)
  }, SLOW)

  it("a server that cannot start exits 1 with the reason", async () => {
    const p = runCli(["--http", "--host", "0.0.0.0"])
    expect(await p.exited).toBe(1)
    expect(p.output().stderr).toContain("Plain HTTP is only served on loopback, not on 0.0.0.0")
  }, SLOW)

  it("--http --token: the URL is the first line, serves, stops cleanly on SIGTERM", async () => {
    const p = runCli(["--http", "--token", "cli-token", "--port", "0"])
    const { url } = await p.ready
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(p.output().stdout.split("\n")[0]).toBe(`Key Vault emulator listening at ${url}`)
    const send = viaFetch(url)
    expect((await send("GET", `/secrets?${q()}`, { auth: "Bearer wrong" })).status).toBe(401)
    const put = await send("PUT", `/secrets/cli?${q()}`, { body: { value: "v" }, auth: "Bearer cli-token" })
    expect(put.status).toBe(200)
    // The setup snippet never repeats the token.
    expect(p.output().stdout).not.toContain("cli-token")
    expect(p.output().stdout).toContain(clientSnippet({ url, certPath: undefined, hasToken: true }))
    expect(await p.stop()).toBe(0)
  }, SLOW)

  it("HTTPS with --data: URL and PEM path are the first two lines; state survives a restart", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-cli-"))
    const data = path.join(dir, "vault.json")
    try {
      const first = runCli(["--data", data])
      const a = await first.ready
      expect(a.cert).toBe(`${data}.cert.pem`)
      expect(first.output().stdout.split("\n").slice(0, 2)).toEqual([
        `Key Vault emulator listening at ${a.url}`,
        `Certificate (PEM): ${data}.cert.pem`
      ])
      expect(first.output().stdout).toContain(clientSnippet({ url: a.url, certPath: a.cert, hasToken: false }))
      const send = viaHttps(a.url, fs.readFileSync(a.cert!, "utf8"))
      expect((await send("PUT", `/secrets/durable?${q()}`, { body: { value: "kept" } })).status).toBe(200)
      expect(await first.stop()).toBe(0)

      const second = runCli(["--data", data, "--http"])
      const b = await second.ready
      expect((await viaFetch(b.url)("GET", `/secrets/durable/?${q()}`)).json.value).toBe("kept")
      expect(await second.stop()).toBe(0)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, SLOW)

  it("HTTPS without --data: the temp PEM is removed on SIGTERM", async () => {
    const p = runCli([])
    const { cert } = await p.ready
    expect(fs.existsSync(cert!)).toBe(true)
    expect(await p.stop()).toBe(0)
    expect(fs.existsSync(cert!)).toBe(false)
  }, SLOW)

  it("--verbose: one line per request (method, path, status, duration, request id), never values or tokens", async () => {
    const p = runCli(["--http", "--verbose", "--token", "token-marker-c0ffee"])
    const { url } = await p.ready
    const send = viaFetch(url)
    const put = await send("PUT", `/secrets/logged?${q()}`, { body: { value: "value-marker-5eed" }, auth: "Bearer token-marker-c0ffee" })
    expect(put.status).toBe(200)
    const get = await send("GET", `/secrets/logged?${q()}&query-marker=1`, { auth: "Bearer token-marker-c0ffee" })
    expect(get.json.value).toBe("value-marker-5eed")
    const denied = await send("GET", `/secrets/logged?${q()}`, { auth: "Bearer other-token-marker" })
    expect(denied.status).toBe(401)
    const requestLines = () => p.output().stdout.split("\n").filter((l) => / \/secrets\/logged /.test(l))
    for (let i = 0; i < 100 && requestLines().length < 3; i++) await new Promise((r) => setTimeout(r, 50))
    expect(await p.stop()).toBe(0)
    const lines = requestLines()
    expect(lines).toHaveLength(3)
    const shape = /^\d{4}-\d\d-\d\dT[\d:.]+Z (PUT|GET) \/secrets\/logged (\d{3}) \d+\.\dms ([0-9a-f-]{36})$/
    expect(lines.map((l) => shape.exec(l)?.slice(1))).toEqual([
      ["PUT", "200", put.headers.get("x-ms-request-id")],
      ["GET", "200", get.headers.get("x-ms-request-id")],
      ["GET", "401", denied.headers.get("x-ms-request-id")]
    ])
    const everything = p.output().stdout + p.output().stderr
    for (const marker of ["value-marker-5eed", "token-marker-c0ffee", "other-token-marker", "query-marker"]) {
      expect(everything).not.toContain(marker)
    }
  }, SLOW)

  it("health route: GET /healthz answers 200 JSON without a token; --health-path moves it", async () => {
    const p = runCli(["--http", "--token", "t", "--health-path", "/ready"])
    const { url } = await p.ready
    const send = viaFetch(url)
    const health = await send("GET", "/ready", { auth: null })
    expect(health.status).toBe(200)
    expect(health.json).toEqual({ status: "ok" })
    expect((await send("GET", "/healthz", { auth: null })).status).toBe(401)
    expect(await p.stop()).toBe(0)
  }, SLOW)

  it("challenge and recovery flags reach the server", async () => {
    const p = runCli([
      "--http",
      "--instant",
      "--recovery-level",
      "CustomizedRecoverable+Purgeable",
      "--recoverable-days",
      "7",
      "--challenge-resource",
      "https://vault.contoso.example",
      "--tenant-id",
      "tenant-123",
      "--authority",
      "https://login.contoso.example"
    ])
    const { url } = await p.ready
    const send = viaFetch(url)
    const challenge = await send("GET", `/secrets?${q()}`, { auth: null })
    expect(challenge.headers.get("www-authenticate")).toBe(
      `Bearer authorization="https://login.contoso.example/tenant-123", resource="https://vault.contoso.example"`
    )
    const put = await send("PUT", `/secrets/flags?${q()}`, { body: { value: "v" } })
    expect(put.json.attributes).toMatchObject({ recoveryLevel: "CustomizedRecoverable+Purgeable", recoverableDays: 7 })
    expect(await p.stop()).toBe(0)
  }, SLOW)

  it("consistency delays are on by default (like the service), off with --instant / --no-delays, explicit flags win", async () => {
    const deletedRightAway = async (args: Array<string>) => {
      const p = runCli(["--http", ...args])
      const { url } = await p.ready
      const send = viaFetch(url)
      expect((await send("PUT", `/secrets/d?${q()}`, { body: { value: "v" } })).status).toBe(200)
      expect((await send("DELETE", `/secrets/d?${q()}`)).status).toBe(200)
      const status = (await send("GET", `/deletedsecrets/d?${q()}`)).status
      expect(await p.stop()).toBe(0)
      return { status, stdout: p.output().stdout }
    }
    const [byDefault, instant, explicit] = await Promise.all([
      deletedRightAway([]),
      deletedRightAway(["--instant"]),
      deletedRightAway(["--no-delays", "--delete-delay", "1m"])
    ])
    expect(byDefault.status).toBe(404)
    expect(byDefault.stdout).toContain("Consistency delays:  delete 2s, recover 2s, purge 1s")
    expect(instant.status).toBe(200)
    expect(instant.stdout).toContain("Consistency delays:  off")
    expect(explicit.status).toBe(404)
    expect(explicit.stdout).toContain("Consistency delays:  delete 1m, recover 0, purge 0")
  }, SLOW)
})

// Not in the concurrent group: the compile is synchronous and would stall the other tests' child processes.
describe("CLI client setup snippet", () => {
  it("the printed client setup compiles as pasted (HTTP and HTTPS)", () => {
    const dir = path.join(path.dirname(packageJson), `.cli-snippet-${process.pid}`)
    try {
      const snippets = [
        clientSnippet({ url: "http://127.0.0.1:8080", certPath: undefined, hasToken: true }),
        clientSnippet({ url: "https://127.0.0.1:8443", certPath: "/tmp/x\\y \"z\".pem", hasToken: false })
      ].map((code, i) => ({ source: `snippet-${i}`, line: 1, code, skip: false }))
      expect(check(snippets, dir)).toEqual([])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, SLOW)
})
