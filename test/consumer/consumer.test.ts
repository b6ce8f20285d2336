/**
 * Consumer smoke test (issue 7): what a user does with the packages, outside this workspace.
 *
 * `beforeAll` builds and packs the three packages (`pnpm run pack`), creates a project in the OS temp dir, and
 * installs the tarballs plus pinned Effect 3.x dependencies from the npm registry with npm (not pnpm).
 * Each `it` is then one check a user would make. Figures (tarball sizes and file counts, install and
 * install-to-first-secret times) are printed and written to `.tarballs/consumer-smoke-node<major>.json`.
 *
 * Needs the npm registry. Set KEEP_CONSUMER=1 to keep the temp project for inspection.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../..")
const fixtures = path.join(here, "fixtures")
const tarballDir = path.join(root, ".tarballs")

// The versions this repository is tested with (its lockfile), so the consumer gets the same Effect 3.x line.
const versionInRepo = (name: string): string =>
  JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version
const pinned = [
  "effect",
  "@effect/platform",
  "@effect/platform-node",
  "@azure/identity",
  "undici",
  "typescript",
  "esbuild",
  "vitest",
  "@effect/vitest",
  "@types/node"
].map((name) => `${name}@${versionInRepo(name)}`)

// What a user's shell would have: no variables from the pnpm script or vitest worker that runs this test,
// and the node running this test first on PATH (so the bin's `#!/usr/bin/env node` is the same Node).
const userEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^(npm_(command|lifecycle_|package_|config_user_agent|config_verify_deps|node_execpath|execpath)|pnpm_|PNPM_|VITEST|TINYPOOL|NODE_ENV$|NODE_OPTIONS$|AZURE_)/i
        .test(key)
    ) continue
    env[key] = value
  }
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`
  return { ...env, ...extra }
}

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string }
): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? userEnv(),
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"]
    })
    if (options.input !== undefined) child.stdin!.end(options.input)
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()))
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000)
    child.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) })
    })
  })

const ok = (ran: Ran, what: string): Ran => {
  if (ran.code !== 0) {
    throw new Error(`${what} exited with ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`)
  }
  return ran
}

/** The last line of stdout that parses as JSON. */
const lastJson = (ran: Ran): any => {
  const lines = ran.stdout.trim().split("\n").filter((l) => l.startsWith("{"))
  if (lines.length === 0) throw new Error(`no JSON output\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`)
  return JSON.parse(lines[lines.length - 1]!)
}

const figures: Record<string, unknown> = { node: process.version }
let consumer = ""
let tarballs: Array<string> = []
let emulator: { child: ChildProcess; url: string; pem: string } | undefined
let installMs = 0

/** Starts the emulator through the installed bin and waits for its two first lines. */
const startEmulator = (cwd: string) =>
  new Promise<{ child: ChildProcess; url: string; pem: string; ms: number }>((resolve, reject) => {
    const started = performance.now()
    const child = spawn(path.join(cwd, "node_modules/.bin/effect-keyvault-emulator"), ["--port", "0"], {
      cwd,
      env: userEnv(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`emulator not ready after 60 s\n--- stdout\n${stdout}\n--- stderr\n${stderr}`))
    }, 60_000)
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString()
      const url = /listening at (https?:\/\/\S+)/.exec(stdout)?.[1]
      const pem = /Certificate \(PEM\): (.+?)\s*$/m.exec(stdout)?.[1]
      if (url !== undefined && pem !== undefined) {
        clearTimeout(timer)
        resolve({ child, url, pem, ms: Math.round(performance.now() - started) })
      }
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`emulator exited with ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`))
    })
  })

describe("consumer project (packed tarballs + npm registry, outside the workspace)", () => {
  beforeAll(async () => {
    const pack = ok(await run("node", [path.join(root, "scripts/pack.mjs")], { cwd: root, env: process.env }), "pack")
    figures.packMs = pack.ms
    tarballs = fs.readdirSync(tarballDir).filter((f) => f.endsWith(".tgz")).sort().map((f) => path.join(tarballDir, f))
    expect(tarballs.map((f) => path.basename(f))).toEqual([
      expect.stringMatching(/^effect-keyvault-cli-\d+\.\d+\.\d+\.tgz$/),
      expect.stringMatching(/^effect-keyvault-emulator-\d+\.\d+\.\d+\.tgz$/),
      expect.stringMatching(/^effect-keyvault-secrets-\d+\.\d+\.\d+\.tgz$/)
    ])
    const sizes: Record<string, unknown> = {}
    for (const tarball of tarballs) {
      const listing = ok(await run("tar", ["tzvf", tarball], { cwd: root }), "tar").stdout.trim().split("\n")
      sizes[path.basename(tarball)] = {
        bytes: fs.statSync(tarball).size,
        files: listing.length,
        unpackedBytes: listing.reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[2] ?? 0), 0)
      }
    }
    figures.tarballs = sizes

    consumer = fs.mkdtempSync(path.join(os.tmpdir(), "ekv-consumer-"))
    fs.writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify({ name: "ekv-consumer", private: true, type: "module" }, null, 2)
    )
    figures.npm = ok(await run("npm", ["--version"], { cwd: consumer }), "npm --version").stdout.trim()
    const install = ok(
      await run("npm", ["install", "--no-audit", "--no-fund", ...tarballs, ...pinned], {
        cwd: consumer,
        timeoutMs: 300_000
      }),
      "npm install"
    )
    installMs = install.ms
    figures.installMs = install.ms
    figures.pinned = pinned
  }, 480_000)

  afterAll(async () => {
    if (emulator !== undefined) {
      const exited = new Promise((resolve) => emulator!.child.once("exit", resolve))
      emulator.child.kill("SIGTERM")
      await exited
    }
    if (consumer !== "" && process.env.KEEP_CONSUMER !== "1") fs.rmSync(consumer, { recursive: true, force: true })
    if (fs.existsSync(tarballDir)) {
      const file = path.join(tarballDir, `consumer-smoke-node${process.versions.node.split(".")[0]}.json`)
      fs.writeFileSync(file, JSON.stringify(figures, null, 2) + "\n")
      console.log(`consumer smoke figures (${path.relative(root, file)}):\n${JSON.stringify(figures, null, 2)}`)
    }
  }, 60_000)

  it("publint --strict finds nothing in any tarball", async () => {
    for (const tarball of tarballs) {
      const ran = ok(
        await run(path.join(root, "node_modules/.bin/publint"), ["run", tarball, "--strict"], { cwd: root }),
        `publint ${tarball}`
      )
      expect(ran.stdout).toContain("All good!")
    }
  }, 120_000)

  it("attw (strict profile): no problems for node16 from ESM and from CJS, bundler and node10", async () => {
    const problems: Array<unknown> = []
    for (const tarball of tarballs) {
      const ran = ok(
        await run(
          path.join(root, "node_modules/.bin/attw"),
          [tarball, "--format", "json"],
          { cwd: root }
        ),
        `attw ${tarball}`
      )
      const analysis = JSON.parse(ran.stdout).analysis as {
        problems: Array<{ kind: string; entrypoint?: string; resolutionKind?: string }>
        entrypoints: Record<string, unknown>
      }
      problems.push(...analysis.problems)
      expect(Object.keys(analysis.entrypoints)).toContain(".")
    }
    expect(problems).toEqual([])
  }, 120_000)

  it("npm refuses Effect 4 next to the packages at install time (ERESOLVE)", async () => {
    const ran = await run("npm", ["install", "--dry-run", "--no-audit", "--no-fund", "effect@4"], {
      cwd: consumer,
      timeoutMs: 120_000
    })
    expect(ran.code).not.toBe(0)
    expect(ran.stderr).toContain("ERESOLVE")
    expect(ran.stderr).toMatch(/peer effect@"\^3\.\d+/)
  }, 150_000)

  it("the installed bin starts the emulator and an ESM program reads a secret from it", async () => {
    const started = await startEmulator(consumer)
    emulator = started
    figures.emulatorStartMs = started.ms
    expect(started.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(fs.readFileSync(started.pem, "utf8")).toContain("BEGIN CERTIFICATE")
    fs.copyFileSync(path.join(fixtures, "read-secret.mjs"), path.join(consumer, "read-secret.mjs"))
    const ran = ok(await run(process.execPath, ["read-secret.mjs", started.url, started.pem], { cwd: consumer }), "esm")
    expect(lastJson(ran)).toEqual({ format: "esm", value: "value-from-esm", printed: "<redacted>" })
    figures.firstSecretMs = ran.ms
    figures.installToFirstSecretMs = installMs + started.ms + ran.ms
  }, 120_000)

  it("the README's production transport: UndiciHttpClient from the tarball reads a secret", async () => {
    expect(emulator).toBeDefined()
    fs.copyFileSync(path.join(fixtures, "read-secret-undici.mjs"), path.join(consumer, "read-secret-undici.mjs"))
    const ran = ok(
      await run(process.execPath, ["read-secret-undici.mjs", emulator!.url, emulator!.pem], { cwd: consumer }),
      "undici"
    )
    expect(lastJson(ran)).toEqual({ format: "undici", value: "value-from-undici", printed: "<redacted>" })
  }, 120_000)

  it("a CommonJS program reads a secret through require() (require(esm) switched off)", async () => {
    expect(emulator).toBeDefined()
    fs.copyFileSync(path.join(fixtures, "read-secret.cjs"), path.join(consumer, "read-secret.cjs"))
    // Where Node has require(esm), turn it off: the CJS build must stand on its own.
    const noRequireEsm = process.allowedNodeEnvironmentFlags.has("--no-experimental-require-module")
      ? ["--no-experimental-require-module"]
      : []
    const ran = ok(
      await run(process.execPath, [...noRequireEsm, "read-secret.cjs", emulator!.url, emulator!.pem], {
        cwd: consumer
      }),
      "cjs"
    )
    expect(lastJson(ran)).toEqual({ format: "cjs", value: "value-from-cjs", printed: "<redacted>" })
  }, 120_000)

  it("the installed effect-keyvault bin: set from stdin, get prints the value, a missing name exits 3", async () => {
    expect(emulator).toBeDefined()
    const kvBin = path.join(consumer, "node_modules/.bin/effect-keyvault")
    // How a user points the CLI at the emulator: its URL, and Node trusting the emulator's certificate.
    const env = userEnv({ AZURE_KEYVAULT_URL: emulator!.url, NODE_EXTRA_CA_CERTS: emulator!.pem })
    const kv = (args: Array<string>, input?: string) =>
      run(kvBin, args, { cwd: consumer, env, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) })

    const set = ok(await kv(["set", "cli-db-password"], "value-from-cli\n"), "effect-keyvault set")
    expect(set.stdout.trim()).toMatch(new RegExp(`^${emulator!.url}/secrets/cli-db-password/[0-9a-f]{32}$`))
    expect(set.stdout + set.stderr).not.toContain("value-from-cli")
    const get = ok(await kv(["get", "cli-db-password"]), "effect-keyvault get")
    expect(get.stdout).toBe("value-from-cli")
    figures.cliGetMs = get.ms

    const missing = await kv(["get", "cli-missing"])
    expect(missing.code, missing.stderr).toBe(3)
    expect(missing.stdout).toBe("")
    expect(missing.stderr).toMatch(/^effect-keyvault: not found: .*cli-missing/)

    // --emulator loads the optional @effect-keyvault/emulator peer installed next to the CLI (a usage error,
    // exit 2, if it could not): its fresh embedded vault has no such secret either.
    const data = path.join(consumer, "cli-emulator", "vault.json")
    const embedded = await run(kvBin, ["get", "cli-missing", "--emulator", "--emulator-data", data], {
      cwd: consumer,
      timeoutMs: 60_000
    })
    expect(embedded.code, embedded.stderr).toBe(3)
  }, 120_000)

  for (const resolution of ["node16", "bundler"] as const) {
    it(`tsc --noEmit under moduleResolution ${resolution}`, async () => {
      const dir = path.join(consumer, `types-${resolution}`)
      fs.mkdirSync(dir, { recursive: true })
      fs.copyFileSync(path.join(fixtures, "typed.ts"), path.join(dir, "typed.ts"))
      const files = ["typed.ts"]
      if (resolution === "node16") {
        fs.copyFileSync(path.join(fixtures, "typed-require.cts"), path.join(dir, "typed-require.cts"))
        files.push("typed-require.cts")
      }
      fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: resolution === "node16" ? "Node16" : "ESNext",
            moduleResolution: resolution === "node16" ? "Node16" : "Bundler",
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ["node"],
            typeRoots: [path.join(consumer, "node_modules/@types")]
          },
          files
        })
      )
      const ran = await run(process.execPath, [path.join(consumer, "node_modules/typescript/bin/tsc"), "-p", dir], {
        cwd: consumer
      })
      expect((ran.stdout + ran.stderr).split("\n").filter((l) => /error TS/.test(l))).toEqual([])
      expect(ran.code).toBe(0)
    }, 180_000)
  }

  it("an esbuild bundle of a get-one-secret program runs with nothing installed next to it", async () => {
    expect(emulator).toBeDefined()
    fs.copyFileSync(path.join(fixtures, "get-one-secret.ts"), path.join(consumer, "get-one-secret.ts"))
    const bundled = ok(
      await run(
        path.join(consumer, "node_modules/.bin/esbuild"),
        ["get-one-secret.ts", "--bundle", "--platform=node", "--target=node20", "--outfile=dist/get-one-secret.cjs"],
        { cwd: consumer }
      ),
      "esbuild"
    )
    // Run it from an empty directory: only what esbuild put in the file exists.
    const isolated = fs.mkdtempSync(path.join(os.tmpdir(), "ekv-bundle-"))
    try {
      const file = path.join(isolated, "get-one-secret.cjs")
      fs.copyFileSync(path.join(consumer, "dist/get-one-secret.cjs"), file)
      figures.bundle = { bytes: fs.statSync(file).size, buildMs: bundled.ms }
      const ran = ok(await run(process.execPath, [file, emulator!.url, emulator!.pem], { cwd: isolated }), "bundle")
      expect(lastJson(ran)).toEqual({ value: "value-from-bundle" })

      // The same bundle with Credential.layerDefaultAzure(): @azure/identity was bundled, so its
      // DefaultAzureCredential is built and asked for a token when the vault's challenge comes. With no Azure
      // credentials here it fails as itself, never as "module not found".
      const azure = ok(
        await run(process.execPath, [file, emulator!.url, emulator!.pem], {
          cwd: isolated,
          env: userEnv({ USE_DEFAULT_AZURE: "1" })
        }),
        "bundle with DefaultAzureCredential"
      )
      const errors: Array<string> = lastJson(azure).errors
      const trail = errors.join("\n")
      expect(errors[0], trail).toMatch(/^CredentialError: /)
      expect(errors[1], trail).toMatch(/^(AggregateAuthenticationError|CredentialUnavailableError): /)
      expect(trail).not.toMatch(/Cannot find (module|package)|is @azure\/identity installed/)
    } finally {
      fs.rmSync(isolated, { recursive: true, force: true })
    }
  }, 180_000)

  it("vitest in the consumer: TestVault with @effect/vitest", async () => {
    fs.copyFileSync(path.join(fixtures, "consumer-vault.vitest.ts"), path.join(consumer, "vault.test.ts"))
    const ran = ok(
      await run(process.execPath, [path.join(consumer, "node_modules/vitest/vitest.mjs"), "run", "vault.test.ts"], {
        cwd: consumer,
        env: userEnv({ CI: "1", NO_COLOR: "1" })
      }),
      "consumer vitest"
    )
    expect(ran.stdout).toMatch(/Tests\s+2 passed \(2\)/)
  }, 180_000)
})
