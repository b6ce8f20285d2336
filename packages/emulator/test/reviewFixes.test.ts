// Regression tests for the emulator review findings (one describe block per finding).
import * as HttpApp from "@effect/platform/HttpApp"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Emulator, VaultEngine } from "@effect-keyvault/emulator"
import * as httpApp from "../src/internal/httpApp.js"
import { collect } from "./suite.js"
import { q, type Send, viaFetch, viaHandler } from "./utils.js"

const withHandler = async <A>(
  options: Emulator.EmulatorOptions,
  f: (send: Send, engine: VaultEngine.VaultEngine) => Promise<A>
): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const { engine, handler } = await Effect.runPromise(Scope.extend(Emulator.makeHandler(options), scope))
    return await f(viaHandler(handler), engine)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "emu-review-"))

/** One raw HTTP/1.1 exchange over a socket, so malformed request lines and Host headers reach the server. */
const rawRequest = (port: number, head: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(head))
    let out = ""
    socket.on("data", (c: Buffer) => {
      out += c.toString()
      if (/\r\n\r\n/.test(out) && /\}$/.test(out.trim())) socket.end()
    })
    socket.on("end", () => resolve(out))
    socket.on("close", () => resolve(out))
    socket.on("error", reject)
    setTimeout(() => socket.destroy(), 5000)
  })

const assertVaultShaped = (raw: string, status: number, code: string) => {
  expect(raw).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `))
  expect(raw.toLowerCase()).toContain("x-ms-request-id:")
  expect(raw.toLowerCase()).toContain("content-type: application/json")
  const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as { error: { code: string; message: string } }
  expect(body.error.code).toBe(code)
  expect(body.error.message.length).toBeGreaterThan(0)
}

describe("1. list order is code-unit order on lower-cased names (locale-independent)", () => {
  it.live("paging with maxresults=1 visits every secret once, in the order $skiptoken compares", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        // localeCompare puts "ab" before "a-c" (punctuation ignored) and Danish puts "aa" after "z".
        const names = ["z", "aa", "ab", "a-c", "B-x", "b", "A0"]
        for (const n of names) expect((await send("PUT", `/secrets/${n}?${q()}`, { body: { value: "v" } })).status).toBe(200)
        const items = await collect(send, `/secrets?${q()}&maxresults=1`)
        const seen = items.map((i: { id: string }) => i.id.split("/").pop()!.toLowerCase())
        const expected = names.map((n) => n.toLowerCase()).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        expect(seen).toEqual(expected)
        expect(expected).toEqual(["a-c", "a0", "aa", "ab", "b", "b-x", "z"])
        for (const n of names) await send("DELETE", `/secrets/${n}?${q()}`)
        const deleted = await collect(send, `/deletedsecrets?${q()}&maxresults=2`)
        expect(deleted.map((i: { recoveryId: string }) => i.recoveryId.split("/").pop()!.toLowerCase())).toEqual(expected)
      })
    ))
})

describe("2. a failed data-file save is rolled back and answered as a Key Vault 500", () => {
  it.live("PUT whose save fails → 500 InternalServerError JSON, nothing live in memory; later saves work", () =>
    Effect.promise(async () => {
      const dir = tmpDir()
      const file = path.join(dir, "vault.json")
      await withHandler({ dataFile: file }, async (send) => {
        expect((await send("PUT", `/secrets/kept?${q()}`, { body: { value: "1" } })).status).toBe(200)
        const blocker = `${file}.${process.pid}.tmp`
        fs.mkdirSync(blocker) // the next save cannot open its temp file
        const failed = await send("PUT", `/secrets/lost?${q()}`, { body: { value: "2" } })
        expect(failed.status).toBe(500)
        expect(failed.json.error.code).toBe("InternalServerError")
        expect(failed.headers.get("content-type")).toContain("application/json")
        expect(failed.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/)
        expect((await send("GET", `/secrets/lost?${q()}`)).status).toBe(404)
        const deleteFailed = await send("DELETE", `/secrets/kept?${q()}`)
        expect(deleteFailed.status).toBe(500)
        expect((await send("GET", `/secrets/kept?${q()}`)).json.value).toBe("1")
        fs.rmdirSync(blocker)
        expect((await send("PUT", `/secrets/later?${q()}`, { body: { value: "3" } })).status).toBe(200)
      })
      // What was acknowledged is in the file; what failed is not.
      await withHandler({ dataFile: file }, async (send) => {
        expect((await send("GET", `/secrets/kept?${q()}`)).json.value).toBe("1")
        expect((await send("GET", `/secrets/later?${q()}`)).json.value).toBe("3")
        expect((await send("GET", `/secrets/lost?${q()}`)).status).toBe(404)
      })
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("a throwing onChange rolls the engine back and fails with 500", () =>
    Effect.gen(function*() {
      let fail = false
      const engine = yield* VaultEngine.make({
        onChange: () => {
          if (fail) throw new Error("disk full")
        }
      })
      yield* engine.setSecret("a", { value: "1" })
      fail = true
      const error = yield* Effect.flip(engine.setSecret("a", { value: "2" }))
      expect(error.status).toBe(500)
      expect(error.code).toBe("InternalServerError")
      expect(error.message).toContain("disk full")
      const versions = yield* engine.listSecretVersions("a")
      expect(versions.map((v) => v.value)).toEqual(["1"])
    }))
})

describe("3. bad request targets and defects get Key Vault-shaped answers", () => {
  it.live("bad Host header and absolute target → 400 BadParameter JSON with the usual headers", () =>
    Effect.promise(async () => {
      const server = await Emulator.startServer({ tls: false })
      const port = Number(new URL(server.url).port)
      try {
        const auth = "Authorization: Bearer t\r\nConnection: close\r\n\r\n"
        assertVaultShaped(await rawRequest(port, `GET /secrets?${q()} HTTP/1.1\r\nHost: [\r\n${auth}`), 400, "BadParameter")
        assertVaultShaped(await rawRequest(port, `GET /secrets?${q()} HTTP/1.1\r\nHost: a b\r\n${auth}`), 400, "BadParameter")
        assertVaultShaped(
          await rawRequest(port, `GET http://[/secrets?${q()} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`),
          400,
          "BadParameter"
        )
        // A good request on the same server still works.
        expect((await viaFetch(server.url)("GET", `/secrets?${q()}`)).status).toBe(200)
      } finally {
        await server.close()
      }
    }))

  it.live("a defect inside the app becomes a 500 InternalServerError with the usual headers", () =>
    Effect.promise(async () => {
      // A persist hook that breaks its contract (returns no promise) makes the engine die mid-request.
      const engine = await Effect.runPromise(
        VaultEngine.make({ persist: (() => undefined) as unknown as (s: VaultEngine.Snapshot) => Promise<void> })
      )
      const handler = HttpApp.toWebHandler(httpApp.makeAppFromOptions(engine, {}, "https"))
      const reply = await viaHandler(handler)("PUT", `/secrets/x?${q()}`, { body: { value: "v" }, headers: { "x-ms-client-request-id": "abc" } })
      expect(reply.status).toBe(500)
      expect(reply.json.error.code).toBe("InternalServerError")
      expect(reply.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/)
      expect(reply.headers.get("x-ms-client-request-id")).toBe("abc")
    }))
})

describe("4. nbf/exp must be whole epoch seconds in -62135596800..253402300799", () => {
  it.live("fractions, years before 1 and past 9999 are 400; negatives, 2100 and 9999-12-31 are accepted", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        for (const bad of [1.5, -62135596801, 253402300800, 1e300, "1700000000"]) {
          for (const attr of ["nbf", "exp"]) {
            const r = await send("PUT", `/secrets/t?${q()}`, { body: { value: "v", attributes: { [attr]: bad } } })
            expect(r.status, `${attr}=${bad}`).toBe(400)
            expect(r.json.error.code).toBe("BadParameter")
          }
        }
        const ok = await send("PUT", `/secrets/t?${q()}`, { body: { value: "v", attributes: { nbf: 0, exp: 4102444800 } } })
        expect(ok.status).toBe(200)
        expect(ok.json.attributes.exp).toBe(4102444800)
        // What the official JS SDK 4.12 sends for 2050-02-02 (its `| 0` truncation): stored as given.
        const truncated = (Date.UTC(2050, 1, 2) / 1000) | 0
        const neg = await send("PATCH", `/secrets/t?${q()}`, { body: { attributes: { exp: truncated } } })
        expect(neg.status).toBe(200)
        expect(neg.json.attributes.exp).toBe(truncated)
        const max = await send("PATCH", `/secrets/t?${q()}`, { body: { attributes: { exp: 253402300799 } } })
        expect(max.json.attributes.exp).toBe(253402300799)
        expect((await send("PATCH", `/secrets/t?${q()}`, { body: { attributes: { exp: 0.5 } } })).status).toBe(400)
      })
    ))
})

describe("5. large backups are compressed and restorable; V1 blobs still restore", () => {
  it.live("50 versions of 25 KB values back up and restore (restore body above 1 MiB accepted)", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        // Random values barely compress, so this blob is well above the 1 MiB limit of other requests.
        for (let i = 0; i < 50; i++) {
          const value = crypto.randomBytes(19_000).toString("base64").slice(0, 25_600)
          expect((await send("PUT", `/secrets/big?${q()}`, { body: { value } })).status).toBe(200)
        }
        const versions = (await collect(send, `/secrets/big/versions?${q()}`)).map((v: { id: string }) => v.id)
        const blob = (await send("POST", `/secrets/big/backup?${q()}`)).json.value as string
        expect(blob.length).toBeGreaterThan(1024 * 1024)
        await send("DELETE", `/secrets/big?${q()}`)
        expect((await send("DELETE", `/deletedsecrets/big?${q()}`)).status).toBe(204)
        const restored = await send("POST", `/secrets/restore?${q()}`, { body: { value: blob } })
        expect(restored.status).toBe(200)
        expect((await collect(send, `/secrets/big/versions?${q()}`)).map((v: { id: string }) => v.id).sort()).toEqual(versions.sort())
      })
    ))

  it.effect("a version-1 (uncompressed) blob sealed with the engine's key restores", () =>
    Effect.gen(function*() {
      const key = crypto.randomBytes(32)
      const engine = yield* VaultEngine.make({ backupKey: new Uint8Array(key) })
      const magic = Buffer.from("EffectKeyVaultEmulatorSecretBackupV1", "utf8")
      const iv = crypto.randomBytes(12)
      const cipher = crypto.createCipheriv("aes-256-gcm", key, iv)
      cipher.setAAD(magic)
      const content = {
        format: 1,
        name: "old",
        versions: [{ version: "0123456789abcdef0123456789abcdef", value: "v1", enabled: true, created: 1, updated: 1 }]
      }
      const body = Buffer.concat([cipher.update(JSON.stringify(content), "utf8"), cipher.final()])
      const blob = Buffer.concat([magic, iv, cipher.getAuthTag(), body]).toString("base64url")
      const view = yield* engine.restoreSecret(blob)
      expect(view.version).toBe("0123456789abcdef0123456789abcdef")
      expect((yield* engine.getSecret("old")).value).toBe("v1")
      // New blobs are V2 and compressed: 50 KB of one letter seals to a few hundred bytes.
      yield* engine.setSecret("small", { value: "x".repeat(25_000) })
      yield* engine.setSecret("small", { value: "x".repeat(25_000) })
      const blob2 = yield* engine.backupSecret("small")
      expect(Buffer.from(blob2, "base64url").subarray(0, magic.length).toString()).toBe("EffectKeyVaultEmulatorSecretBackupV2")
      expect(blob2.length).toBeLessThan(2000)
    }))
})

describe("6. IPv6 host in the certificate", () => {
  it.live("host ::1 gets an IP SAN, so an HTTPS client trusting the PEM connects", () =>
    Effect.promise(async () => {
      const server = await Emulator.startServer({ host: "::1" })
      try {
        expect(server.url).toMatch(/^https:\/\/\[::1\]:\d+$/)
        const status = await new Promise<number | undefined>((resolve, reject) => {
          https.get(`${server.url}/secrets?${q()}`, { ca: server.certificatePem!, headers: { authorization: "Bearer t" } }, (r) => {
            r.resume()
            r.on("end", () => resolve(r.statusCode))
          }).on("error", reject)
        })
        expect(status).toBe(200)
      } finally {
        await server.close()
      }
    }))
})

describe("7. a tag named __proto__ is kept", () => {
  it.live("set and update keep __proto__ as an ordinary tag", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        const put = await send("PUT", `/secrets/p?${q()}`, { rawBody: `{"value":"v","tags":{"__proto__":"x","a":"b"}}` })
        expect(put.status).toBe(200)
        expect(put.text).toContain(`"__proto__":"x"`)
        const got = await send("GET", `/secrets/p?${q()}`)
        expect(got.text).toContain(`"tags":{"__proto__":"x","a":"b"}`)
        const patched = await send("PATCH", `/secrets/p?${q()}`, { rawBody: `{"tags":{"__proto__":"y"}}` })
        expect(patched.text).toContain(`"tags":{"__proto__":"y"}`)
      })
    ))
})

describe("8. persistence: group commit, durable acknowledgements, stale temp files", () => {
  it.effect("concurrent changes share saves; each is acknowledged only once saved", () =>
    Effect.gen(function*() {
      const saved: Array<number> = []
      let calls = 0
      const engine = yield* VaultEngine.make({
        persist: async (snapshot) => {
          calls++
          await new Promise((r) => setTimeout(r, 5))
          saved.push(snapshot.secrets.length)
        }
      })
      const results = yield* Effect.forEach(
        Array.from({ length: 40 }, (_, i) => i),
        (i) => Effect.map(engine.setSecret(`s${i}`, { value: "v" }), () => Math.max(0, ...saved)),
        { concurrency: "unbounded" }
      )
      // Every acknowledgement came after a save that already held at least that many secrets.
      expect(results.every((n) => n >= 1)).toBe(true)
      expect(Math.max(...saved)).toBe(40)
      expect(calls).toBeLessThan(40)
      expect(calls).toBeGreaterThanOrEqual(1)
    }))

  it.effect("a failed group save rolls back every change in it", () =>
    Effect.gen(function*() {
      let failing = false
      const engine = yield* VaultEngine.make({
        persist: async () => {
          await new Promise((r) => setTimeout(r, 1))
          if (failing) throw new Error("EIO")
        }
      })
      yield* engine.setSecret("before", { value: "v" })
      failing = true
      const exits = yield* Effect.forEach(
        ["a", "b", "c"],
        (n) => Effect.exit(engine.setSecret(n, { value: "v" })),
        { concurrency: "unbounded" }
      )
      expect(exits.every(Exit.isFailure)).toBe(true)
      expect((yield* engine.listSecrets).map((s) => s.name)).toEqual(["before"])
    }))

  it.live("stale temp files are removed at startup; 50 concurrent writers all survive a restart", () =>
    Effect.promise(async () => {
      const dir = tmpDir()
      const file = path.join(dir, "vault.json")
      fs.writeFileSync(`${file}.999999.tmp`, "{partial")
      await withHandler({ dataFile: file }, async (send) => {
        expect(fs.existsSync(`${file}.999999.tmp`)).toBe(false)
        const replies = await Promise.all(
          Array.from({ length: 50 }, (_, i) => send("PUT", `/secrets/w${i}?${q()}`, { body: { value: `v${i}` } }))
        )
        expect(replies.every((r) => r.status === 200)).toBe(true)
      })
      await withHandler({ dataFile: file }, async (send) => {
        expect((await collect(send, `/secrets?${q()}`)).length).toBe(50)
        expect((await send("GET", `/secrets/w49?${q()}`)).json.value).toBe("v49")
      })
      fs.rmSync(dir, { recursive: true, force: true })
    }))
})

describe("9. an oversized chunked body gets a clean 413", () => {
  it.live("2 MiB chunked PUT over a socket → 413 RequestEntityTooLarge JSON, not a reset", () =>
    Effect.promise(async () => {
      const server = await Emulator.startServer({ tls: false })
      try {
        const reply = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
          const req = http.request(`${server.url}/secrets/big?${q()}`, {
            method: "PUT",
            headers: { authorization: "Bearer t", "content-type": "application/json", "transfer-encoding": "chunked" }
          }, (res) => {
            let body = ""
            res.on("data", (c: Buffer) => (body += c.toString()))
            res.on("end", () => resolve({ status: res.statusCode, body }))
          })
          req.on("error", reject)
          req.write(`{"value":"`)
          const chunk = "x".repeat(64 * 1024)
          for (let i = 0; i < 32; i++) req.write(chunk)
          req.end(`"}`)
        })
        expect(reply.status).toBe(413)
        expect(JSON.parse(reply.body).error.code).toBe("RequestEntityTooLarge")
      } finally {
        await server.close()
      }
    }))
})

describe("10. purge protection", () => {
  it.live("recoveryLevel without Purgeable refuses purge with 403 Forbidden", () =>
    Effect.promise(() =>
      withHandler({ recoveryLevel: "Recoverable" }, async (send) => {
        await send("PUT", `/secrets/p?${q()}`, { body: { value: "v" } })
        await send("DELETE", `/secrets/p?${q()}`)
        const purge = await send("DELETE", `/deletedsecrets/p?${q()}`)
        expect(purge.status).toBe(403)
        expect(purge.json.error).toEqual({
          code: "Forbidden",
          message: "Operation purge is not allowed on this vault: purge protection is enabled."
        })
        expect((await send("GET", `/deletedsecrets/p?${q()}`)).status).toBe(200)
      })
    ))
})

describe("11. startup errors carry their cause", () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
  const runCli = (args: Array<string>) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(path.join(root, "node_modules/.bin/tsx"), [path.join(root, "packages/emulator/src/bin.ts"), ...args], {
        cwd: root,
        stdio: ["ignore", "ignore", "pipe"]
      })
      let stderr = ""
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
      child.on("exit", (code) => resolve({ code, stderr }))
    })

  it.live("port in use → EADDRINUSE; corrupt data file → the JSON parse error", () =>
    Effect.promise(async () => {
      const blocker = net.createServer()
      await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()))
      const port = (blocker.address() as net.AddressInfo).port
      const dir = tmpDir()
      try {
        const busy = await runCli(["--http", "--port", String(port)])
        expect(busy.code).toBe(1)
        expect(busy.stderr).toContain("EADDRINUSE")
        const file = path.join(dir, "bad.json")
        fs.writeFileSync(file, "{not json")
        const corrupt = await runCli(["--http", "--data", file])
        expect(corrupt.code).toBe(1)
        expect(corrupt.stderr).toContain(file)
        expect(corrupt.stderr).toMatch(/JSON|position/)
      } finally {
        blocker.close()
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }), 60_000)
})

describe("12. smaller findings", () => {
  it.live("maxresults must be plain digits", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        for (const bad of ["%205", "5e0", "0x5", "5.0", "+5", ""]) {
          expect((await send("GET", `/secrets?${q()}&maxresults=${bad}`)).status, bad).toBe(400)
        }
        expect((await send("GET", `/secrets?${q()}&maxresults=5`)).status).toBe(200)
      })
    ))

  it.live("sub-resource words are case-insensitive; extra segments under recover are 404", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        await send("PUT", `/secrets/c?${q()}`, { body: { value: "v" } })
        expect((await send("GET", `/secrets/c/VERSIONS?${q()}`)).json.value).toHaveLength(1)
        const blob = (await send("POST", `/secrets/c/Backup?${q()}`)).json.value
        expect(typeof blob).toBe("string")
        await send("DELETE", `/secrets/c?${q()}`)
        expect((await send("POST", `/deletedsecrets/c/recover/x?${q()}`)).status).toBe(404)
        expect((await send("POST", `/deletedsecrets/c/Recover?${q()}`)).status).toBe(200)
        await send("DELETE", `/secrets/c?${q()}`)
        await send("DELETE", `/deletedsecrets/c?${q()}`)
        expect((await send("POST", `/secrets/RESTORE?${q()}`, { body: { value: blob } })).status).toBe(200)
      })
    ))

  it.live("during the recover delay the versions list is empty, like GET (404) and the secrets list", () =>
    Effect.promise(() =>
      withHandler({ consistencyDelay: { recover: "1 hour" } }, async (send) => {
        await send("PUT", `/secrets/r?${q()}`, { body: { value: "v" } })
        await send("DELETE", `/secrets/r?${q()}`)
        expect((await send("POST", `/deletedsecrets/r/recover?${q()}`)).status).toBe(200)
        expect((await send("GET", `/secrets/r?${q()}`)).status).toBe(404)
        expect((await send("GET", `/secrets/r/versions?${q()}`)).json).toEqual({ value: [], nextLink: null })
      })
    ))

  it.live("outContentType is only honoured from 2025-06-01-preview on", () =>
    Effect.promise(() =>
      withHandler({}, async (send) => {
        await send("PUT", `/secrets/o?${q()}`, { body: { value: "v" } })
        expect((await send("GET", `/secrets/o?${q("7.6")}&outContentType=bogus`)).status).toBe(200)
        expect((await send("GET", `/secrets/o?${q("2025-07-01")}&outContentType=bogus`)).status).toBe(400)
      })
    ))
})
