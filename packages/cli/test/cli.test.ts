/**
 * The real `effect-keyvault` binary, one child process per command, against an emulator on a loopback socket,
 * plus a faulty loopback server for the 403 / 429 exit codes. bin.ts is bundled once with esbuild and run with
 * node (what a built dist runs); tsx on a loaded 2-core machine costs ~3 s per start against ~0.5 s. The
 * `pnpm kv` path (tsx on the source) is covered by the help test.
 *
 * Every value set here contains MARK; `kv` fails the test when MARK shows up on stdout or stderr of any
 * command except the ones that are meant to reveal it (`get`).
 */
import { Emulator } from "@effect-keyvault/emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { version } from "../src/internal/version.js"
import { bundleBin } from "./bundle.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const bin = path.join(root, "packages/cli/src/bin.ts")
const tsx = path.join(root, "node_modules/.bin/tsx")

const MARK = `MARK${crypto.randomBytes(6).toString("hex")}`
let counter = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${(counter++).toString(36)}`

let emulator: Awaited<ReturnType<typeof Emulator.startServer>>
let faulty: http.Server
let faultyUrl = ""
let dir = ""
let bundle = ""

// Child processes at a time: enough to overlap I/O, few enough for a shared 2-core machine.
const MAX_CHILDREN = 6
let running = 0
const waiting: Array<() => void> = []
const slot = async () => {
  while (running >= MAX_CHILDREN) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  return () => {
    running--
    waiting.shift()?.()
  }
}

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const baseEnv = () => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("AZURE_") && !k.startsWith("EFFECT_KEYVAULT_")) env[k] = v
  }
  return env
}

const kv = async (
  args: ReadonlyArray<string>,
  options: {
    readonly input?: string
    readonly env?: Record<string, string>
    readonly reveals?: boolean
    readonly viaTsx?: boolean
  } = {}
): Promise<Result> => {
  const release = await slot()
  return new Promise<Result>((resolve, reject) => {
    const command = options.viaTsx === true ? [tsx, bin] : [process.execPath, bundle]
    const child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: root,
      env: { ...baseEnv(), AZURE_KEYVAULT_URL: emulator.url, ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
    child.on("error", reject)
    child.on("close", (code) => {
      if (options.reveals !== true && (stdout.includes(MARK) || stderr.includes(MARK))) {
        reject(new Error(`a secret value was printed by: effect-keyvault ${args.join(" ")}`))
      }
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? "")
  }).finally(release)
}

/** Set a value through the CLI (stdin) and return it. */
const setValue = async (name: string, value: string, extra: ReadonlyArray<string> = []) => {
  const r = await kv(["set", name, ...extra], { input: value })
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  return r
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-cli-test-"))
  bundle = await bundleBin(path.join(dir, "bin"))
  emulator = await Emulator.startServer({ tls: false })
  // Answers 429 (no Retry-After, so not retried) under /throttled, and 403 for everything else.
  faulty = http.createServer((req, res) => {
    const throttled = (req.url ?? "").includes("throttled")
    res.writeHead(throttled ? 429 : 403, { "content-type": "application/json", "x-ms-request-id": "req-1" })
    res.end(JSON.stringify({
      error: throttled
        ? { code: "Throttled", message: "Request was not processed because too many requests were received." }
        : { code: "Forbidden", message: "The user does not have secrets get permission on key vault." }
    }))
  })
  await new Promise<void>((resolve) => faulty.listen(0, "127.0.0.1", resolve))
  faultyUrl = `http://127.0.0.1:${(faulty.address() as AddressInfo).port}`
})

afterAll(async () => {
  await emulator?.close()
  await new Promise<void>((resolve) => (faulty ? faulty.close(() => resolve()) : resolve()))
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe.concurrent("effect-keyvault CLI", () => {
  it("--help, subcommand help, --version, shell completion; unknown flag exits 2", async () => {
    const [help, getHelp, ver, completion, bad, none] = await Promise.all([
      kv(["--help"], { viaTsx: true }),
      kv(["get", "--help"]),
      kv(["--version"]),
      kv(["--completions", "bash"]),
      kv(["list", "--nope"]),
      kv([])
    ])
    expect(help.code).toBe(0)
    for (const command of ["get", "show", "set", "list", "versions", "update", "delete", "recover", "purge", "backup", "restore", "export", "import", "run"]) {
      expect(help.stdout).toContain(`- ${command} `)
    }
    expect(help.stdout).toContain("Exit codes: 0 ok, 1 error, 2 usage, 3 not found")
    // Not a terminal: no ANSI styling.
    expect(help.stdout).not.toContain("\x1b[")
    expect(getHelp.code).toBe(0)
    expect(getHelp.stdout).toContain("--vault-url URL")
    expect(getHelp.stdout).toContain("The secret name (letters, digits and dashes).")
    expect(getHelp.stdout).not.toContain("A user-defined piece of text")
    expect(ver.stdout.trim()).toBe(version)
    expect(completion.code).toBe(0)
    expect(completion.stdout).toContain("effect-keyvault")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--nope")
    expect(none.code).toBe(2)
    expect(none.stderr).toContain("missing command")
  }, 120_000)

  it("set reads stdin (one trailing newline removed); get prints the value alone; show never prints it", async () => {
    const name = unique("db-password")
    const value = `p@ss "word" $HOME ${MARK}`
    const set = await setValue(name, `${value}\n`)
    expect(set.stdout).toMatch(new RegExp(`^${emulator.url}/secrets/${name}/[0-9a-f]{32}\\n$`))
    const [get, show, showJson] = await Promise.all([
      kv(["get", name], { reveals: true }),
      kv(["show", name]),
      kv(["show", name, "--json"])
    ])
    expect(get.code).toBe(0)
    expect(get.stdout).toBe(value)
    expect(get.stderr).toBe("")
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(new RegExp(`^name +${name}$`, "m"))
    const props = JSON.parse(showJson.stdout)
    expect(props.name).toBe(name)
    expect(props.enabled).toBe(true)
    expect(props).not.toHaveProperty("value")
  }, 120_000)

  it("set --file with content type, tags and expiry; versions; get --version", async () => {
    const name = unique("api-key")
    const file = path.join(dir, `${name}.txt`)
    fs.writeFileSync(file, `first\n${MARK}\n`)
    const first = await kv(["set", name, "--file", file, "--content-type", "text/plain", "--tags", "team=payments", "--tags", "env=dev", "--expires", "2031-02-03", "--json"])
    expect(first.code).toBe(0)
    const v1 = JSON.parse(first.stdout)
    expect(v1.contentType).toBe("text/plain")
    expect(v1.tags).toEqual({ team: "payments", env: "dev" })
    expect(v1.expiresOn).toBe("2031-02-03T00:00:00.000Z")
    await setValue(name, `second ${MARK}`)
    const [versions, old, oldBySlash, oldById, versionsJson] = await Promise.all([
      kv(["versions", name]),
      kv(["get", name, "--secret-version", v1.version], { reveals: true }),
      kv(["get", `${name}/${v1.version}`], { reveals: true }),
      kv(["get", v1.id], { reveals: true }),
      kv(["versions", name, "--json"])
    ])
    expect(versions.code).toBe(0)
    expect(versions.stdout.split("\n")[0]).toMatch(/^VERSION +ENABLED +CREATED/)
    expect(versions.stdout).toContain(v1.version)
    expect(JSON.parse(versionsJson.stdout)).toHaveLength(2)
    // --file is exact: the trailing newline stays.
    expect(old.stdout).toBe(`first\n${MARK}\n`)
    expect(oldBySlash.stdout).toBe(old.stdout)
    expect(oldById.stdout).toBe(old.stdout)
  }, 120_000)

  it("update: --disable makes get exit 4 (forbidden), --enable restores it; nothing to update exits 2", async () => {
    const name = unique("toggle")
    await setValue(name, `v ${MARK}`)
    const disable = await kv(["update", name, "--disable", "--tags", "state=off"])
    expect(disable.code).toBe(0)
    expect(disable.stdout).toMatch(/^enabled +false$/m)
    expect(disable.stdout).toMatch(/^tags +state=off$/m)
    const denied = await kv(["get", name])
    expect(denied.code).toBe(4)
    expect(denied.stderr).toMatch(/^effect-keyvault: forbidden: .*disabled/)
    expect(denied.stderr.trim().split("\n")).toHaveLength(1)
    expect((await kv(["update", name, "--enable"])).code).toBe(0)
    expect((await kv(["get", name], { reveals: true })).stdout).toBe(`v ${MARK}`)
    const nothing = await kv(["update", name])
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain("nothing to update")
  }, 120_000)

  it("exit codes: 3 not found, 2 usage (bad name, no vault, http to a remote host, empty value, bad date)", async () => {
    const missing = unique("missing")
    const [get, show, del, badName, noVault, remoteHttp, empty, badDate, both, otherVault] = await Promise.all([
      kv(["get", missing]),
      kv(["show", missing, "--json"]),
      kv(["delete", missing]),
      kv(["get", "not_valid!"]),
      kv(["list"], { env: { AZURE_KEYVAULT_URL: "" } }),
      kv(["list", "--vault-url", "http://vault.example.com"]),
      kv(["set", unique("empty")], { input: "" }),
      kv(["set", unique("date"), "--expires", "next tuesday"], { input: "x" }),
      kv(["list", "--emulator"]),
      kv(["get", "https://other.vault.azure.net/secrets/x"])
    ])
    for (const r of [get, show, del]) {
      expect(r.code).toBe(3)
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(/^effect-keyvault: not found: .*\n$/)
    }
    for (const r of [badName, noVault, remoteHttp, empty, badDate, both, otherVault]) expect(r.code).toBe(2)
    expect(otherVault.stderr).toContain("pass --vault-url")
    expect(badName.stderr).toContain("invalid secret name")
    expect(noVault.stderr).toContain("no vault")
    expect(remoteHttp.stderr).toContain("loopback hosts only")
    expect(empty.stderr).toContain("empty value")
    expect(badDate.stderr).toContain("--expires")
    expect(both.stderr).toContain("exclude each other")
  }, 120_000)

  it("exit codes from a faulty vault: 4 forbidden, 5 throttled (one line on stderr, request id kept)", async () => {
    const [forbidden, throttled] = await Promise.all([
      kv(["get", "anything", "--vault-url", faultyUrl]),
      kv(["get", "throttled", "--vault-url", faultyUrl])
    ])
    expect(forbidden.code).toBe(4)
    expect(forbidden.stderr).toBe(
      "effect-keyvault: forbidden: getSecret 'anything': The user does not have secrets get permission on key vault. (request id req-1)\n"
    )
    expect(throttled.code).toBe(5)
    expect(throttled.stderr).toMatch(/^effect-keyvault: throttled: .*\n$/)
  }, 120_000)

  it("delete waits; list --include-deleted and show --deleted; set on a deleted name exits 6; recover; delete --no-wait; purge", async () => {
    const name = unique("rotating")
    await setValue(name, `x ${MARK}`)
    const del = await kv(["delete", name, "--progress"])
    expect(del.code).toBe(0)
    expect(del.stdout).toContain(`Deleted ${name}; recoverable until`)
    expect(del.stderr).toContain(`deleting ${name}`)
    const [gone, listed, shownDeleted, conflict] = await Promise.all([
      kv(["get", name]),
      kv(["list", "--include-deleted", "--prefix", name]),
      kv(["show", name, "--deleted"]),
      kv(["set", name], { input: `y ${MARK}` })
    ])
    expect(gone.code).toBe(3)
    expect(listed.stdout).toMatch(new RegExp(`^${name} .*deleted \\d{4}-`, "m"))
    expect(shownDeleted.stdout).toMatch(/^purge date +\d{4}-/m)
    expect(conflict.code).toBe(6)
    expect(conflict.stderr).toMatch(/^effect-keyvault: conflict: /)
    const recovered = await kv(["recover", name])
    expect(recovered.code).toBe(0)
    expect((await kv(["get", name], { reveals: true })).stdout).toBe(`x ${MARK}`)
    const noWait = await kv(["delete", name, "--no-wait"])
    expect(noWait.code).toBe(0)
    expect(noWait.stdout).toContain("not waiting")
    // The emulator deletes at once; purge, then the deleted secret is gone too.
    expect((await kv(["purge", name])).code).toBe(0)
    expect((await kv(["show", name, "--deleted"])).code).toBe(3)
  }, 120_000)

  it("backup to a 0600 file (never over an existing one without --force), purge, restore", async () => {
    const name = unique("backed-up")
    const file = path.join(dir, `${name}.bak`)
    await setValue(name, `b ${MARK}`)
    const backup = await kv(["backup", name, "--file", file])
    expect(backup.code).toBe(0)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.readFileSync(file, "latin1")).not.toContain(MARK)
    const again = await kv(["backup", name, "--file", file])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain("exists; pass --force")
    const clash = await kv(["restore", "--file", file])
    expect(clash.code).toBe(6)
    expect((await kv(["delete", name])).code).toBe(0)
    expect((await kv(["purge", name])).code).toBe(0)
    const restore = await kv(["restore", "--file", file])
    expect(restore.code).toBe(0)
    expect(restore.stdout).toBe(`Restored ${name}\n`)
    expect((await kv(["get", name], { reveals: true })).stdout).toBe(`b ${MARK}`)
  }, 120_000)

  it("export (dotenv and JSON, --prefix, name mapping, disabled skipped) and import round trip", async () => {
    const prefix = `${unique("app")}-`
    const values: Record<string, string> = {
      "db-password": `quote ' double " dollar $X backslash \\ ${MARK}`,
      "api-key": `line1\nline2\r\nend ${MARK}`,
      "plain": `héllo wörld ✓ ${MARK}`
    }
    await Promise.all(Object.entries(values).map(([n, v]) => setValue(`${prefix}${n}`, v, ["--file", writeTemp(v)])))
    await setValue(`${prefix}off`, `disabled ${MARK}`, ["--disabled"])
    const envFile = path.join(dir, `${prefix}.env`)
    const jsonFile = path.join(dir, `${prefix}.json`)
    const [dotenv] = await Promise.all([
      kv(["export", "--file", envFile, "--prefix", prefix, "--progress"]),
      kv(["export", "--file", jsonFile, "--prefix", prefix])
    ])
    expect(dotenv.code).toBe(0)
    expect(dotenv.stdout).toContain(`Exported 3 secrets to ${envFile}`)
    expect(dotenv.stderr).toContain("read 3/3 secrets")
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600)
    expect(JSON.parse(fs.readFileSync(jsonFile, "utf8"))).toEqual({
      API_KEY: values["api-key"],
      DB_PASSWORD: values["db-password"],
      PLAIN: values["plain"]
    })
    expect(fs.readFileSync(envFile, "utf8")).toMatch(/^API_KEY="line1\\nline2\\r\\nend /m)

    // Import both files under new prefixes; the values come back byte for byte.
    const fromEnv = `${unique("copy")}-`
    const fromJson = `${unique("copy")}-`
    const [i1, i2] = await Promise.all([
      kv(["import", "--file", envFile, "--prefix", fromEnv]),
      kv(["import", "--file", jsonFile, "--prefix", fromJson])
    ])
    expect(i1.code).toBe(0)
    expect(i1.stdout).toBe(`Imported 3 secrets from ${envFile}\n`)
    expect(i2.code).toBe(0)
    const got = await Promise.all(
      Object.keys(values).flatMap((n) => [fromEnv, fromJson].map((p) => kv(["get", `${p}${n}`], { reveals: true })))
    )
    expect(got.map((r) => r.stdout)).toEqual(Object.values(values).flatMap((v) => [v, v]))

    const exists = await kv(["export", "--file", envFile, "--prefix", prefix])
    expect(exists.code).toBe(1)
    const badImport = path.join(dir, `${prefix}bad.env`)
    fs.writeFileSync(badImport, `GOOD=1\nBAD KEY=${MARK}\n`)
    const bad = await kv(["import", "--file", badImport])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(":2:")
    const clashing = path.join(dir, `${prefix}clash.json`)
    fs.writeFileSync(clashing, JSON.stringify({ DB_PASSWORD: `a ${MARK}`, db_password: `b ${MARK}` }))
    const clash = await kv(["import", "--file", clashing])
    expect(clash.code).toBe(2)
    expect(clash.stderr).toContain("both map to the secret db-password")
  }, 120_000)

  it("run injects the secrets (prefix stripped), never prints them, and exits with the program's code", async () => {
    const prefix = `${unique("svc")}-`
    const value = `run-secret ${MARK}`
    await setValue(`${prefix}db-password`, value)
    await setValue(`${prefix}conn--main`, `conn ${MARK}`)
    const check =
      `process.exit(process.env.DB_PASSWORD === process.env.EXPECTED && process.env.CONN__MAIN?.startsWith("conn ") ? 42 : 1)`
    const [ran, missing, noCommand] = await Promise.all([
      kv(["run", "--prefix", prefix, "--", process.execPath, "-e", check], { env: { EXPECTED: value } }),
      kv(["run", "--prefix", prefix, "--", "definitely-not-a-command-kv"]),
      kv(["run", "--prefix", prefix])
    ])
    expect(ran.stderr).toBe("")
    expect(ran.code).toBe(42)
    expect(missing.code).toBe(127)
    expect(missing.stderr).toContain("command not found")
    expect(noCommand.code).toBe(2)
    // A value an environment variable cannot hold: named, never shown.
    await setValue(`${prefix}binary`, "", ["--file", writeTemp(`a\0b ${MARK}`)])
    const nul = await kv(["run", "--prefix", prefix, "--", process.execPath, "-e", "0"])
    expect(nul.code).toBe(1)
    expect(nul.stderr).toBe("effect-keyvault: the value of BINARY contains a NUL byte, which an environment variable cannot hold\n")
  }, 120_000)

  it("run passes SIGTERM on to the program and exits with the program's code", async () => {
    const prefix = `${unique("sig")}-`
    await setValue(`${prefix}token`, `t ${MARK}`)
    const release = await slot()
    try {
      const program = `process.on("SIGTERM", () => process.exit(process.env.TOKEN ? 7 : 1)); console.log("ready"); setInterval(() => {}, 1000)`
      const child = spawn(process.execPath, [bundle, "run", "--prefix", prefix, "--", process.execPath, "-e", program], {
        env: { ...baseEnv(), AZURE_KEYVAULT_URL: emulator.url },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stderr.on("data", (c: Buffer) => (output += c.toString()))
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
      await new Promise<void>((resolve) =>
        child.stdout.on("data", (c: Buffer) => {
          output += c.toString()
          if (output.includes("ready")) resolve()
        })
      )
      child.kill("SIGTERM")
      expect(await exited).toBe(7)
      expect(output).not.toContain(MARK)
    } finally {
      release()
    }
  }, 120_000)

  it("--emulator keeps its state in the data file across invocations", async () => {
    const data = path.join(dir, "embedded", "vault.json")
    const env = { EFFECT_KEYVAULT_EMULATOR_DATA: data, AZURE_KEYVAULT_URL: "" }
    const name = unique("embedded")
    const set = await kv(["set", name, "--emulator"], { input: `e ${MARK}`, env })
    expect(set.code).toBe(0)
    const [get, list] = await Promise.all([
      kv(["get", name, "--emulator"], { env, reveals: true }),
      kv(["list", "--emulator", "--json"], { env })
    ])
    expect(get.stdout).toBe(`e ${MARK}`)
    expect(JSON.parse(list.stdout).map((p: { name: string }) => p.name)).toEqual([name])
  }, 120_000)
})

const writeTemp = (value: string) => {
  const file = path.join(dir, `value-${crypto.randomBytes(4).toString("hex")}`)
  fs.writeFileSync(file, value)
  return file
}
