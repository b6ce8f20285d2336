/**
 * Emulator fuzzing (issue 8, reliability suite "fuzz-emulator").
 *
 * Generated requests (fast-check, fixed seed) against the HTTP emulator running in a child process, with a
 * seeded state that no generated request may change: bodies (valid-looking set/update bodies with wrong
 * types, random JSON, non-JSON, deep nesting, oversized), paths (every route, bad and encoded names,
 * unknown routes), queries (api-versions, maxresults, $skiptoken), headers (auth, content-type, client
 * request id, Host), chunked bodies, slow clients, mutated backup blobs, and raw malformed requests over a
 * socket. Every answer must be a Key Vault-shaped JSON answer below 500; the server must never crash or hang.
 *
 * Raw requests that Node's HTTP parser itself rejects before the app sees them (lower-case or unknown
 * methods, oversized headers, `Expect`, CONNECT, broken request lines) are counted apart: their JSON
 * answers depend on the server's clientError / checkExpectation / connect handlers (Emulator.ts).
 *
 * Sizes: 1,500 requests over HTTP plus 1,500 in process by default; 100,000 each with RELIABILITY_FULL=1. With RELIABILITY_OUT set the
 * figures go to `<RELIABILITY_OUT>/fuzz-emulator.json`.
 */
import { Emulator } from "@effect-keyvault/emulator"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import fc from "fast-check"
import { type ChildProcess, fork } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import * as net from "node:net"
import * as path from "node:path"
import { Readable } from "node:stream"
import { fileURLToPath } from "node:url"
import { Pool } from "undici"

const FULL = process.env.RELIABILITY_FULL === "1"
const OUT = process.env.RELIABILITY_OUT
const TOTAL = FULL ? 100_000 : 1_500
const CONCURRENCY = 16
const SEED = 20261201
const TOKEN = "fuzz-token"
const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, "../..")

// ---------------------------------------------------------------------------------------------------------
// The server process

interface Server {
  readonly url: string
  readonly port: number
  readonly tlsUrl: string
  readonly ca: string
  readonly child: ChildProcess
  exited: boolean
  exitCode: number | null
  stderr: string
  readonly memory: () => Promise<NodeJS.MemoryUsage>
  readonly stop: () => Promise<void>
}

const startServer = (): Promise<Server> =>
  new Promise((resolve, reject) => {
    const child = fork(path.join(here, "fuzz-emulator.server.ts"), [], {
      cwd: repoRoot,
      execArgv: ["--import", "tsx", "--expose-gc"],
      env: { ...process.env, FUZZ_TOKEN: TOKEN, NODE_OPTIONS: "" },
      stdio: ["ignore", "ignore", "pipe", "ipc"]
    })
    let stderr = ""
    child.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000)
    })
    const timer = setTimeout(() => reject(new Error(`fuzz server did not start\n${stderr}`)), 60_000)
    child.once("message", (m: any) => {
      clearTimeout(timer)
      const server: Server = {
        url: m.url,
        port: Number(new URL(m.url).port),
        tlsUrl: m.tlsUrl,
        ca: m.ca,
        child,
        exited: false,
        exitCode: null,
        get stderr() {
          return stderr
        },
        memory: () =>
          new Promise((done) => {
            child.once("message", (r: any) => done(r.memory))
            child.send("memory")
          }),
        stop: () =>
          new Promise((done) => {
            if (server.exited) return done()
            child.once("exit", () => done())
            child.send("stop")
            setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
          })
      }
      child.on("exit", (code) => {
        server.exited = true
        server.exitCode = code
      })
      resolve(server)
    })
    child.once("exit", (code) => reject(new Error(`fuzz server exited early (${code})\n${stderr}`)))
  })

// ---------------------------------------------------------------------------------------------------------
// Generated requests

type Body =
  | { readonly kind: "none" }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "chunked"; readonly text: string; readonly splits: ReadonlyArray<number> }
  | { readonly kind: "slow"; readonly text: string; readonly splits: ReadonlyArray<number>; readonly pauseMs: number }

interface HttpCase {
  readonly type: "http"
  readonly category: string
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: Body
}

interface RawCase {
  readonly type: "raw"
  readonly category: string
  /** true when Node's parser rejects it before the app (answered by the server's own handlers). */
  readonly parserLevel: boolean
  readonly bytes: string
}

type Case = HttpCase | RawCase

const API_VERSIONS = ["2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-06-01-preview", "2025-07-01", "2026-03-01-preview", "2026-04-01"]
const SEED_NAMES = Array.from({ length: 40 }, (_, i) => `seed-${i.toString().padStart(3, "0")}`)
const SEED_DELETED = ["seed-del-0", "seed-del-1", "seed-del-2"]
const FUZZ_NAMES = ["fuzz-a", "fuzz-b", "Fuzz-A", "fuzz-c", "fuzz-bk", "fuzz-d", "f", "0", "a-b-c"]

const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url")

const validName = fc.stringMatching(/^[0-9a-zA-Z-]{1,24}$/)
const badName = fc.oneof(
  fc.constantFrom("", ".", "..", "%", "%zz", "%2F", "a%00b", "a b", "__proto__", "constructor", "restore", "versions", "backup", "recover", "a".repeat(128), "a".repeat(3000), "é", "😀", "a/b"),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 })
)
const nameArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...FUZZ_NAMES) },
  { weight: 3, arbitrary: fc.constantFrom(...SEED_NAMES, ...SEED_DELETED, "seed-cert") },
  { weight: 3, arbitrary: validName },
  { weight: 2, arbitrary: badName }
)
const versionArb = fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9a-f]{32}$/), fc.string({ maxLength: 40 }), fc.constant("versions"))

/** Encodes a path segment but keeps some raw `%` junk, which a client may send. */
const segment = (s: string, raw: boolean) => raw && /^[\x21-\x7e]*$/.test(s) && !/[/?#]/.test(s) ? s : encodeURIComponent(s)

const pathArb = fc.tuple(
  fc.constantFrom(
    "list",
    "get",
    "getv",
    "versions",
    "backup",
    "restore",
    "deletedList",
    "deleted",
    "recover",
    "deep",
    "unknown",
    "root",
    "slashes"
  ),
  nameArb,
  versionArb,
  fc.boolean(),
  fc.constantFrom("secrets", "Secrets", "SECRETS", "deletedsecrets", "deletedSecrets")
).map(([shape, name, version, raw, collection]) => {
  const n = segment(name, raw)
  const v = segment(version, raw)
  switch (shape) {
    case "list":
      return "/secrets"
    case "get":
      return `/secrets/${n}`
    case "getv":
      return `/secrets/${n}/${v}`
    case "versions":
      return `/secrets/${n}/versions`
    case "backup":
      return `/secrets/${n}/backup`
    case "restore":
      return "/secrets/restore"
    case "deletedList":
      return "/deletedsecrets"
    case "deleted":
      return `/deletedsecrets/${n}`
    case "recover":
      return `/deletedsecrets/${n}/recover`
    case "deep":
      return `/${collection}/${n}/${v}/${n}/x`
    case "unknown":
      return `/${n}`
    case "root":
      return "/"
    case "slashes":
      return `//${collection}//${n}/`
  }
})

const skiptokenArb = fc.oneof(
  fc.string({ maxLength: 30 }).map((m) => b64url(JSON.stringify({ NextMarker: `2!${m}`, TargetLocation: 0 }))),
  fc.constantFrom(...SEED_NAMES).map((m) => b64url(JSON.stringify({ NextMarker: `2!${m}`, TargetLocation: 0 }))),
  fc.integer({ min: 0, max: 40 }).map((i) => b64url(JSON.stringify({ NextMarker: `2!${i.toString().padStart(10, "0")}` }))),
  fc.jsonValue().map((v) => b64url(JSON.stringify(v))),
  fc.string({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 60 }).map((a) => b64url(Buffer.from(a))),
  fc.constantFrom("", "null", b64url("null"), b64url('{"NextMarker":5}'), b64url('{"NextMarker":"2!"}'), "%%%")
)

const queryArb = fc.tuple(
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...API_VERSIONS) },
    { weight: 1, arbitrary: fc.constantFrom("", "7", "8.0", "2016-10-02", "7.6-preview.9", "2025-07-01x", "latest") },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }
  ),
  fc.constantFrom("plain", "encodedKey", "missing", "twice", "upper"),
  fc.option(fc.oneof(fc.constantFrom("1", "25", "26", "0", "-1", "1e1", "0x5", " 5", "99999999999999999999", ""), fc.string({ maxLength: 8 }))),
  fc.option(skiptokenArb, { freq: 4 }),
  fc.option(fc.constantFrom("application/x-pkcs12", "application/x-pem-file", "text/plain", ""), { freq: 6 }),
  fc.option(fc.string({ maxLength: 10 }), { freq: 8 })
).map(([version, style, max, token, out, junk]) => {
  const parts: Array<string> = []
  const v = encodeURIComponent(version)
  if (style === "plain") parts.push(`api-version=${v}`)
  if (style === "encodedKey") parts.push(`api%2Dversion=${v}`)
  if (style === "twice") parts.push(`api-version=${v}`, "api-version=7.6")
  if (style === "upper") parts.push(`API-VERSION=${v}`)
  if (max !== null) parts.push(`maxresults=${encodeURIComponent(max)}`)
  if (token !== null) parts.push(`$skiptoken=${encodeURIComponent(token)}`)
  if (out !== null) parts.push(`outContentType=${encodeURIComponent(out)}`)
  if (junk !== null) parts.push(`${encodeURIComponent(junk)}=${encodeURIComponent(junk)}`)
  return parts.length === 0 ? "" : `?${parts.join("&")}`
})

const weirdValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e308, -1e308, 2 ** 53, -(2 ** 53), 253402300800, -62135596801, 1.5, 0),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 })
)

const setBodyArb = fc.record(
  {
    value: fc.oneof(
      { weight: 8, arbitrary: fc.string({ maxLength: 64 }) },
      { weight: 1, arbitrary: fc.integer({ min: 25_000, max: 26_000 }).map((n) => "x".repeat(n)) },
      { weight: 1, arbitrary: weirdValue }
    ),
    contentType: fc.oneof(fc.string({ maxLength: 20 }), fc.constant("x".repeat(300)), weirdValue),
    tags: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 20 }),
      fc.dictionary(fc.constantFrom("__proto__", "constructor", "toString", "a"), weirdValue, { maxKeys: 3 }),
      fc.constant({ k: "v".repeat(600) }),
      weirdValue
    ),
    attributes: fc.oneof(
      fc.record({ enabled: weirdValue, nbf: weirdValue, exp: weirdValue }, { requiredKeys: [] }),
      fc.record({ enabled: fc.boolean(), exp: fc.integer({ min: 0, max: 2_000_000_000 }) }, { requiredKeys: [] }),
      weirdValue
    ),
    id: fc.string({ maxLength: 10 }),
    managed: weirdValue,
    kid: weirdValue
  },
  { requiredKeys: [] }
).map((o) => JSON.stringify(o))

const textBodyArb = (blobs: ReadonlyArray<string>) =>
  fc.oneof(
    { weight: 10, arbitrary: setBodyArb },
    { weight: 3, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "{", "[]", "null", "0", '"s"', "{}", '{"value":', '{"__proto__":{"value":"x"},"value":"y"}', "\u0000", "\ufeff{}") },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 100_000 }).map((d) => "[".repeat(d) + "]".repeat(d)) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 50_000 }).map((d) => '{"a":'.repeat(d) + "1" + "}".repeat(d)) },
    { weight: 3, arbitrary: backupBodyArb(blobs) },
    { weight: 1, arbitrary: fc.constantFrom(1_100_000, 2_000_000).map((n) => JSON.stringify({ value: "y".repeat(n) })) }
  )

/** Restore bodies from real backups of fuzz secrets, mutated. */
const backupBodyArb = (blobs: ReadonlyArray<string>) =>
  fc.tuple(fc.constantFrom(...blobs), fc.constantFrom("asis", "flip", "truncate", "append", "std", "magic", "swap", "empty", "lower"), fc.nat(), fc.nat(255))
    .map(([blob, how, at, byte]) => {
      const raw = Buffer.from(blob, "base64url")
      const i = at % Math.max(1, raw.length)
      let value: unknown = blob
      if (how === "flip") {
        raw[i] = raw[i]! ^ (byte || 1)
        value = raw.toString("base64url")
      }
      if (how === "truncate") value = raw.subarray(0, i).toString("base64url")
      if (how === "append") value = Buffer.concat([raw, Buffer.from([byte, byte])]).toString("base64url")
      if (how === "std") value = raw.toString("base64")
      if (how === "magic") value = Buffer.concat([Buffer.from("EffectKeyVaultEmulatorSecretBackupV9"), raw.subarray(36)]).toString("base64url")
      if (how === "swap") value = raw.reverse().toString("base64url")
      if (how === "empty") value = ""
      if (how === "lower") value = blob.toLowerCase()
      return JSON.stringify({ value })
    })

const headersArb = fc.record({
  auth: fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${TOKEN}`) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, "Bearer wrong", "Basic dXNlcjpwYXNz", `bearer   ${TOKEN}`, "Bearer", "Bearer ", `Bearer ${TOKEN} extra`, "PoP x") },
    { weight: 1, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,40}$/) }
  ),
  contentType: fc.option(fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "*/*")),
  requestId: fc.option(fc.oneof(fc.uuid(), fc.stringMatching(/^[\x20-\x7e]{0,60}$/)), { freq: 3 }),
  host: fc.option(fc.constantFrom("localhost", "127.0.0.1:1", "[::1]:80", "a_b.example", "-", "x:99999", "host:port"), { freq: 10 }),
  extra: fc.option(fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), fc.stringMatching(/^[\x20-\x7e]{0,100}$/)), { freq: 5 })
})

const splitsArb = fc.array(fc.nat(), { minLength: 1, maxLength: 8 })

const httpCaseArb = (blobs: ReadonlyArray<string>): fc.Arbitrary<HttpCase> =>
  fc.tuple(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom("GET", "PUT", "PATCH", "DELETE", "POST") },
      { weight: 1, arbitrary: fc.constantFrom("HEAD", "OPTIONS", "TRACE", "PROPFIND", "MERGE") }
    ),
    pathArb,
    queryArb,
    headersArb,
    fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 7, arbitrary: textBodyArb(blobs) }),
    fc.oneof(
      { weight: 90, arbitrary: fc.constant("text" as const) },
      { weight: 8, arbitrary: fc.constant("chunked" as const) },
      { weight: 1, arbitrary: fc.constant("slow" as const) }
    ),
    splitsArb,
    fc.integer({ min: 5, max: 60 })
  ).map(([method, p, query, h, text, transfer, splits, pauseMs]) => {
    let target = p + query
    // Generated writes never touch the seeded secrets, so the seeded state must come through unchanged.
    if (method !== "GET" && method !== "HEAD" && mentionsSeed(target)) target = target.replace(/seed/gi, "fuzz")
    const headers: Record<string, string> = {}
    if (h.auth !== undefined) headers["authorization"] = h.auth
    if (h.contentType !== null) headers["content-type"] = h.contentType
    if (h.requestId !== null) headers["x-ms-client-request-id"] = h.requestId
    if (h.host !== null) headers["host"] = h.host
    if (h.extra !== null) headers[h.extra[0]] = h.extra[1]
    const hasBody = text !== undefined && method !== "GET" && method !== "HEAD"
    const body: Body = !hasBody
      ? { kind: "none" }
      : transfer === "chunked"
      ? { kind: "chunked", text: text!, splits }
      : transfer === "slow"
      ? { kind: "slow", text: text!.slice(0, 4096), splits, pauseMs }
      : { kind: "text", text: text! }
    const category = transfer === "text" ? (p.includes("restore") ? "restore" : "http") : transfer
    return { type: "http" as const, category, method, path: target, headers, body }
  })

const mentionsSeed = (target: string) => {
  let decoded = target
  try {
    decoded = decodeURIComponent(target)
  } catch {
    // keep the raw text
  }
  return /seed/i.test(decoded) || /seed/i.test(target)
}

const rawCaseArb: fc.Arbitrary<RawCase> = fc.tuple(
  fc.constantFrom(
    "lowercase",
    "unknownMethod",
    "connect",
    "bigHeader",
    "expect",
    "badRequestLine",
    "badHeader",
    "http2",
    "clAndTe",
    "badChunk",
    "absoluteForm",
    "noHost",
    "badHost",
    "bareLf",
    "http10",
    "pipelined",
    "getWithBody",
    "absoluteJunk",
    "obsText"
  ),
  fc.constantFrom(...API_VERSIONS),
  fc.string({ maxLength: 20 })
).map(([kind, v, junk]) => {
  const auth = `Authorization: Bearer ${TOKEN}\r\n`
  const line = (method: string, target = `/secrets?api-version=${v}`) => `${method} ${target} HTTP/1.1\r\n`
  const end = "Connection: close\r\n\r\n"
  switch (kind) {
    case "lowercase":
      return { kind, parserLevel: true, bytes: line("get") + "Host: localhost\r\n" + auth + end }
    case "unknownMethod":
      return { kind, parserLevel: true, bytes: line("FROB") + "Host: localhost\r\n" + auth + end }
    case "connect":
      return { kind, parserLevel: true, bytes: "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n" }
    case "bigHeader":
      return { kind, parserLevel: true, bytes: line("GET") + "Host: localhost\r\n" + auth + `X-Big: ${"a".repeat(20_000)}\r\n` + end }
    case "expect":
      return { kind, parserLevel: true, bytes: line("PUT", `/secrets/fuzz-e?api-version=${v}`) + "Host: localhost\r\n" + auth + "Expect: x\r\nContent-Length: 2\r\n" + end + "{}" }
    case "badRequestLine":
      return { kind, parserLevel: true, bytes: `GET /secrets ${junk.replace(/[\r\n]/g, "")}\r\n\r\n` }
    case "badHeader":
      return { kind, parserLevel: true, bytes: line("GET") + "Host: localhost\r\nBad Header: x\r\n" + end }
    case "http2":
      return { kind, parserLevel: true, bytes: `GET /secrets?api-version=${v} HTTP/2.0\r\nHost: localhost\r\n` + end }
    case "clAndTe":
      return { kind, parserLevel: true, bytes: line("PUT", `/secrets/fuzz-te?api-version=${v}`) + "Host: localhost\r\n" + auth + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n" + end + "0\r\n\r\n" }
    case "badChunk":
      return { kind, parserLevel: true, bytes: line("PUT", `/secrets/fuzz-ch?api-version=${v}`) + "Host: localhost\r\n" + auth + "Transfer-Encoding: chunked\r\n" + end + "zz\r\nabc\r\n0\r\n\r\n" }
    case "bareLf":
      return { kind, parserLevel: true, bytes: `GET /secrets?api-version=${v} HTTP/1.1\nHost: localhost\n\n` }
    case "absoluteForm":
      return { kind, parserLevel: false, bytes: line("GET", `http://elsewhere.example/secrets?api-version=${v}`) + "Host: localhost\r\n" + auth + end }
    case "noHost":
      // Node (requireHostHeader) refuses an HTTP/1.1 request without Host before the app sees it.
      return { kind, parserLevel: true, bytes: line("GET") + auth + end }
    case "badHost":
      return { kind, parserLevel: false, bytes: line("GET") + `Host: ${junk.replace(/[\r\n\0]/g, "") || "a b"} x\r\n` + auth + end }
    case "http10":
      // HTTP/1.0 may omit Host: the app must still answer with ids it can build.
      return { kind, parserLevel: false, bytes: `GET /secrets?api-version=${v} HTTP/1.0\r\n` + auth + "\r\n" }
    case "pipelined":
      return {
        kind,
        parserLevel: false,
        bytes: line("PUT", `/secrets/fuzz-p?api-version=${v}`) + "Host: localhost\r\n" + auth +
          `Content-Length: ${Buffer.byteLength(JSON.stringify({ value: junk }))}\r\n\r\n${JSON.stringify({ value: junk })}` +
          line("GET", `/secrets/fuzz-p?api-version=${v}`) + "Host: localhost\r\n" + auth + end
      }
    case "getWithBody":
      // A body the app never reads, then a second request on the same connection.
      return {
        kind,
        parserLevel: false,
        bytes: line("GET", `/secrets/fuzz-a?api-version=${v}`) + "Host: localhost\r\n" + auth + `Content-Length: 5\r\n\r\nhello` +
          line("DELETE", `/secrets/fuzz-gone?api-version=${v}`) + "Host: localhost\r\n" + auth + "Content-Length: 3\r\n" + end + "abc"
      }
    case "absoluteJunk":
      return { kind, parserLevel: false, bytes: line("GET", `http://${encodeURIComponent(junk) || "%%"}:99999/secrets?api-version=${v}`) + "Host: localhost\r\n" + auth + end }
    case "obsText":
      // Latin-1 bytes in a header the server echoes (x-ms-client-request-id).
      return { kind, parserLevel: false, bytes: line("GET") + "Host: localhost\r\n" + auth + "x-ms-client-request-id: caf\xe9-\xff\r\n" + end }
  }
}).map(({ kind, parserLevel, bytes }) => ({ type: "raw" as const, category: `raw:${kind}`, parserLevel, bytes }))

/** Well-formed operations on the fuzz names, so state changes (versions, delete, recover, purge, restore) happen. */
const validCaseArb = (blobs: ReadonlyArray<string>): fc.Arbitrary<HttpCase> =>
  fc.tuple(
    fc.constantFrom("set", "set", "get", "update", "delete", "recover", "purge", "list", "listDeleted", "versions", "backup", "restore"),
    fc.constantFrom(...FUZZ_NAMES),
    fc.constantFrom(...API_VERSIONS),
    fc.option(fc.integer({ min: 1, max: 25 })),
    fc.string({ maxLength: 100 }),
    fc.option(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 20 }), { maxKeys: 5 })),
    fc.constantFrom(...blobs),
    fc.option(skiptokenArb, { freq: 3 })
  ).map(([op, name, v, max, value, tags, blob, token]) => {
    const q = `?api-version=${v}${max !== null ? `&maxresults=${max}` : ""}`
    const paged = `${q}${token !== null ? `&$skiptoken=${encodeURIComponent(token)}` : ""}`
    const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }
    const body = (o: unknown): Body => ({ kind: "text", text: JSON.stringify(o) })
    const none: Body = { kind: "none" }
    const mk = (method: string, p: string, b: Body = none): HttpCase => ({ type: "http", category: "valid", method, path: p, headers, body: b })
    switch (op) {
      case "set":
        return mk("PUT", `/secrets/${name}${q}`, body({ value, ...(tags !== null ? { tags } : {}), attributes: {} }))
      case "get":
        return mk("GET", `/secrets/${name}/${q}`)
      case "update":
        return mk("PATCH", `/secrets/${name}/${q}`, body({ contentType: "text/plain", attributes: { enabled: value.length % 3 !== 0 } }))
      case "delete":
        return mk("DELETE", `/secrets/${name}${q}`)
      case "recover":
        return mk("POST", `/deletedsecrets/${name}/recover${q}`)
      case "purge":
        return mk("DELETE", `/deletedsecrets/${name}${q}`)
      case "list":
        return mk("GET", `/secrets${paged}`)
      case "listDeleted":
        return mk("GET", `/deletedsecrets${paged}`)
      case "versions":
        return mk("GET", `/secrets/${name}/versions${paged}`)
      case "backup":
        return mk("POST", `/secrets/${name}/backup${q}`)
      case "restore":
        return mk("POST", `/secrets/restore${q}`, body({ value: blob }))
    }
  })

const caseArb = (blobs: ReadonlyArray<string>): fc.Arbitrary<Case> =>
  fc.oneof(
    { weight: 35, arbitrary: validCaseArb(blobs) },
    { weight: 60, arbitrary: httpCaseArb(blobs) },
    { weight: 5, arbitrary: rawCaseArb }
  )

// ---------------------------------------------------------------------------------------------------------
// Sending and judging

interface Outcome {
  readonly status: number | undefined
  readonly body: string
  readonly contentType?: string | undefined
  /** undici or socket error, or a timeout */
  readonly error?: string
}

const TIMEOUT_MS = 15_000

const sendHttp = async (pool: Pool, c: HttpCase): Promise<Outcome> => {
  let body: string | Readable | undefined
  if (c.body.kind === "text") body = c.body.text
  if (c.body.kind === "chunked" || c.body.kind === "slow") {
    const { text, splits } = c.body
    const pause = c.body.kind === "slow" ? c.body.pauseMs : 0
    const bytes = Buffer.from(text)
    body = Readable.from((async function*() {
      let at = 0
      for (const s of splits) {
        const n = Math.min(bytes.length - at, 1 + (s % Math.max(1, Math.ceil(bytes.length / 2))))
        if (n <= 0) break
        yield bytes.subarray(at, at + n)
        at += n
        if (pause > 0) await new Promise((r) => setTimeout(r, pause))
      }
      if (at < bytes.length) yield bytes.subarray(at)
    })())
  }
  try {
    const res = await pool.request({
      method: c.method as any,
      path: c.path,
      headers: c.headers,
      ...(body !== undefined ? { body } : {}),
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS
    })
    const contentType = res.headers["content-type"]
    return { status: res.statusCode, body: await res.body.text(), contentType: Array.isArray(contentType) ? contentType.join(",") : contentType }
  } catch (e) {
    const err = e as { code?: string; name?: string; message?: string }
    return { status: undefined, body: "", error: `${err.code ?? err.name}: ${err.message}` }
  }
}

/** Sends raw bytes (Connection: close at the end) and splits what comes back into responses. */
const sendRaw = (port: number, c: RawCase): Promise<ReadonlyArray<Outcome>> =>
  new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    let done = false
    const finish = (error?: string) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const responses = splitResponses(Buffer.concat(chunks).toString("latin1"))
      if (responses.length === 0) resolve([{ status: undefined, body: "", ...(error !== undefined ? { error } : {}) }])
      else resolve(responses)
    }
    const timer = setTimeout(() => finish("timeout"), TIMEOUT_MS)
    socket.on("connect", () => socket.write(c.bytes, "latin1"))
    socket.on("data", (d: Buffer) => chunks.push(d))
    socket.on("end", () => finish())
    socket.on("close", () => finish())
    socket.on("error", (e: NodeJS.ErrnoException) => finish(chunks.length > 0 ? undefined : `${e.code}: ${e.message}`))
  })

const splitResponses = (text: string): Array<Outcome> => {
  const out: Array<Outcome> = []
  let rest = text
  while (/^HTTP\/1\.[01] \d{3}/.test(rest)) {
    const status = Number(rest.slice(9, 12))
    const head = rest.indexOf("\r\n\r\n")
    if (head === -1) {
      out.push({ status, body: "" })
      break
    }
    const headers = rest.slice(0, head)
    const length = /\r\ncontent-length: *(\d+)/i.exec(headers)?.[1]
    let body: string
    if (status === 204 || status === 304) {
      body = ""
      rest = rest.slice(head + 4)
    } else if (length !== undefined) {
      body = rest.slice(head + 4, head + 4 + Number(length))
      rest = rest.slice(head + 4 + Number(length))
    } else if (/\r\ntransfer-encoding: *chunked/i.test(headers)) {
      body = dechunk(rest.slice(head + 4))
      rest = ""
    } else {
      body = rest.slice(head + 4)
      rest = ""
    }
    const contentType = /\r\ncontent-type: *([^\r]*)/i.exec(headers)?.[1]
    out.push({ status, body: Buffer.from(body, "latin1").toString("utf8"), contentType })
  }
  return out
}

const dechunk = (s: string) => {
  let out = ""
  let at = 0
  for (;;) {
    const nl = s.indexOf("\r\n", at)
    if (nl === -1) return out
    const size = parseInt(s.slice(at, nl), 16)
    if (!(size > 0)) return out
    out += s.slice(nl + 2, nl + 2 + size)
    at = nl + 2 + size + 2
  }
}

/** A Key Vault-shaped answer: JSON object; errors carry error.code and error.message as strings. */
const isVaultShaped = (method: string, o: Outcome) => {
  if (o.status === undefined) return false
  if (o.status === 204 || method === "HEAD") return o.body === ""
  if (!/^application\/json/.test(o.contentType ?? "")) return false
  let json: any
  try {
    json = JSON.parse(o.body)
  } catch {
    return false
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false
  if (o.status >= 400) return typeof json.error?.code === "string" && typeof json.error?.message === "string"
  return true
}

// ---------------------------------------------------------------------------------------------------------
// The suite

/** The little of undici's `Pool` the checks use, so they run over a socket and in process alike. */
interface Client {
  readonly request: (options: {
    readonly method: string
    readonly path: string
    readonly headers: Record<string, string>
    readonly body?: string
  }) => Promise<{ readonly statusCode: number; readonly body: { readonly text: () => Promise<string> } }>
}

const viaPool = (pool: Pool): Client => ({ request: (o) => pool.request(o as any) })

/** An in-process web handler as a Client (ids use the given origin). */
const viaHandler = (handler: (r: Request) => Promise<Response>, origin: string): Client => ({
  request: async (o) => {
    const res = await handler(new Request(origin + o.path, { method: o.method, headers: o.headers, ...(o.body !== undefined ? { body: o.body } : {}) }))
    return { statusCode: res.status, body: { text: () => res.text() } }
  }
})

const json = async (pool: Client, method: string, p: string, body?: unknown) => {
  const res = await pool.request({
    method: method as any,
    path: p,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  const text = await res.body.text()
  return { status: res.statusCode, json: text === "" ? undefined : JSON.parse(text) }
}

/**
 * After the fuzzing: a listing page by page (maxresults 1..25) must give every live secret once, in code-unit
 * order, each readable; deleted secrets likewise, and no name in both. Returns the problems found.
 */
const indexProblems = async (pool: Client): Promise<Array<string>> => {
  const problems: Array<string> = []
  const walk = async (collection: string, max: number) => {
    const names: Array<string> = []
    let link: string | null = `/${collection}?api-version=7.6&maxresults=${max}`
    for (let guard = 0; link !== null && guard < 100_000; guard++) {
      const page = await json(pool, "GET", link)
      if (page.status !== 200) {
        problems.push(`${collection} page ${link}: ${page.status}`)
        break
      }
      names.push(...page.json.value.map((i: { id: string }) => i.id.split("/").pop()!.toLowerCase()))
      link = page.json.nextLink === null ? null : new URL(page.json.nextLink).pathname + new URL(page.json.nextLink).search
    }
    for (let i = 1; i < names.length; i++) if (!(names[i - 1]! < names[i]!)) problems.push(`${collection}: ${names[i - 1]} before ${names[i]}`)
    return names
  }
  const live = await walk("secrets", 1)
  const deleted = await walk("deletedsecrets", 1)
  if (JSON.stringify(await walk("secrets", 25)) !== JSON.stringify(live)) problems.push("secrets: page size changes the listing")
  for (const name of live) {
    const r = await json(pool, "GET", `/secrets/${name}?api-version=7.6`)
    if (r.status !== 200 && r.status !== 403) problems.push(`listed ${name} but GET answers ${r.status}`)
  }
  for (const name of deleted) {
    if (live.includes(name)) problems.push(`${name} is both live and deleted`)
    const r = await json(pool, "GET", `/deletedsecrets/${name}?api-version=7.6`)
    if (r.status !== 200) problems.push(`listed deleted ${name} but GET answers ${r.status}`)
  }
  return problems
}

/** What the seeded secrets look like over the API (values, versions, attributes, deleted state). */
const seededView = async (pool: Client) => {
  const out: Record<string, unknown> = {}
  const q = "api-version=2025-07-01"
  for (const name of SEED_NAMES) {
    const latest = await json(pool, "GET", `/secrets/${name}?${q}`)
    const versions = await json(pool, "GET", `/secrets/${name}/versions?${q}`)
    out[name] = { latest, versions }
  }
  for (const name of [...SEED_DELETED]) out[name] = await json(pool, "GET", `/deletedsecrets/${name}?${q}`)
  out["seed-cert"] = await json(pool, "GET", `/secrets/seed-cert?${q}`)
  return JSON.stringify(out)
}

const seedVault = async (pool: Client) => {
  const q = "api-version=7.6"
  for (const [i, name] of SEED_NAMES.entries()) {
    for (let v = 0; v <= i % 3; v++) {
      const r = await json(pool, "PUT", `/secrets/${name}?${q}`, {
        value: `seed value ${i}.${v}`,
        contentType: "text/plain",
        tags: { n: String(i) },
        attributes: { enabled: i % 7 !== 0, exp: 2_000_000_000 + i }
      })
      if (r.status !== 200) throw new Error(`seeding ${name}: ${r.status}`)
    }
  }
  for (const name of SEED_DELETED) {
    await json(pool, "PUT", `/secrets/${name}?${q}`, { value: "to be deleted" })
    await json(pool, "DELETE", `/secrets/${name}?${q}`)
  }
  // A backup to mutate, of a secret the fuzzer may delete, purge and restore.
  for (let v = 0; v < 3; v++) await json(pool, "PUT", `/secrets/fuzz-bk?${q}`, { value: `bk ${v}`, tags: { v: String(v) } })
  const backup = await json(pool, "POST", `/secrets/fuzz-bk/backup?${q}`)
  const small = await json(pool, "PUT", `/secrets/fuzz-small?${q}`, { value: "s" })
  const smallBackup = await json(pool, "POST", `/secrets/fuzz-small/backup?${q}`)
  if (backup.status !== 200 || small.status !== 200 || smallBackup.status !== 200) throw new Error("backup setup failed")
  return [backup.json.value as string, smallBackup.json.value as string]
}

/**
 * Garbage at the HTTPS port: random bytes, plaintext HTTP, and TLS hellos cut short. The server must stay up
 * and still answer a proper HTTPS request afterwards.
 */
const tlsGarbage = async (server: Server, count: number): Promise<{ sent: number; aliveAfter: boolean }> => {
  const port = Number(new URL(server.tlsUrl).port)
  const payloads = fc.sample(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((a) => Buffer.from(a)),
      fc.constantFrom("GET /secrets?api-version=7.6 HTTP/1.1\r\nHost: x\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").map((t) => Buffer.from(t)),
      // a TLS record header announcing a ClientHello, then junk or nothing
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), Buffer.from(a)]))
    ),
    { numRuns: count, seed: SEED + 31 }
  )
  const one = (payload: Buffer) =>
    new Promise<void>((done) => {
      const socket = net.connect(port, "127.0.0.1", () => socket.end(payload))
      const timer = setTimeout(() => socket.destroy(), 5_000)
      socket.on("data", () => {})
      socket.on("close", () => {
        clearTimeout(timer)
        done()
      })
      socket.on("error", () => {})
    })
  for (let i = 0; i < payloads.length; i += 16) await Promise.all(payloads.slice(i, i + 16).map(one))
  const aliveAfter = await new Promise<boolean>((done) => {
    const req = https.request(`${server.tlsUrl}/secrets?api-version=7.6`, { ca: server.ca, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume()
      res.on("end", () => done(res.statusCode === 200))
    })
    req.on("error", () => done(false))
    req.end()
  })
  return { sent: payloads.length, aliveAfter }
}

// Both tests add to one figures file (vitest runs a file's tests in order).
const allFigures: Record<string, number | string> = {}
const allNotes: Array<string> = []
const writeFigures = (figures: Record<string, number | string>, notes: Array<string>) => {
  Object.assign(allFigures, figures)
  allNotes.push(...notes)
  if (OUT === undefined || OUT === "") return
  fs.mkdirSync(OUT, { recursive: true })
  fs.writeFileSync(
    path.join(OUT, "fuzz-emulator.json"),
    JSON.stringify(
      { suite: "fuzz-emulator", title: "Emulator fuzzing", size: FULL ? "full" : "small", figures: allFigures, notes: allNotes },
      null,
      2
    ) + "\n"
  )
}

describe("fuzz-emulator", () => {
  it.live(`${TOTAL} generated requests: no crash, no 5xx, only Key Vault-shaped JSON answers, seeded state intact`, () =>
    Effect.promise(async () => {
      const started = Date.now()
      const server = await startServer()
      const pool = new Pool(server.url, { connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 10_000 })
      try {
        // Seeds: seed-cert by the server's engine (REST cannot create a certificate-backed secret), the rest over HTTP.
        const blobs = await seedVault(viaPool(pool))
        const before = await seededView(viaPool(pool))
        const cert = await json(viaPool(pool), "GET", `/secrets/seed-cert?api-version=2025-07-01`)
        expect(cert.json.previousVersion).toMatch(/^[0-9a-f]{32}$/)
        const memoryBefore = await server.memory()
        // Once the server answers parser-level rejections itself (clientError / checkExpectation / connect
        // handlers in Emulator.ts), every one of them must be JSON too; until then they are only counted.
        const probe = await sendRaw(server.port, {
          type: "raw",
          category: "probe",
          parserLevel: true,
          bytes: "get /secrets?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        })
        const parserHandlersInstalled = isVaultShaped("GET", probe[0]!)

        const counts = new Map<string, number>()
        const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1)
        const samples: Record<string, Array<string>> = {}
        const sample = (k: string, s: string) => {
          const list = (samples[k] ??= [])
          if (list.length < 5) list.push(s.slice(0, 400))
        }
        let sent = 0
        let serverErrors = 0
        let nonJson = 0
        let transportErrors = 0
        let hangs = 0
        let parserLevel = 0
        let parserLevelNonJson = 0
        const statusClasses = { "2xx": 0, "4xx": 0, other: 0 }

        const BATCH = 500
        let batch = 0
        const queue: Array<Case> = []
        const nextCase = (): Case | undefined => {
          if (sent >= TOTAL) return undefined
          if (queue.length === 0) {
            queue.push(...fc.sample(caseArb(blobs), { numRuns: Math.min(BATCH, TOTAL - sent), seed: SEED + batch++ }))
          }
          sent++
          return queue.shift()
        }
        const describeCase = (c: Case) =>
          c.type === "raw" ? JSON.stringify(c.bytes.slice(0, 200)) : `${c.method} ${c.path.slice(0, 200)} ${JSON.stringify(c.headers).slice(0, 200)} body=${c.body.kind !== "none" ? JSON.stringify(c.body.text.slice(0, 120)) : "-"}`

        const worker = async () => {
          for (let c = nextCase(); c !== undefined && !server.exited; c = nextCase()) {
            bump(c.category)
            const method = c.type === "http" ? c.method : "RAW"
            const outcomes = c.type === "http" ? [await sendHttp(pool, c)] : await sendRaw(server.port, c)
            if (c.type === "raw" && c.parserLevel) {
              parserLevel++
              const outcome = outcomes[0]!
              if (!isVaultShaped(method, outcome)) {
                parserLevelNonJson++
                sample(`parser:${c.category}`, `${outcome.status ?? outcome.error} ${JSON.stringify(outcome.body.slice(0, 100))}`)
              }
              continue
            }
            const expected = c.category === "raw:pipelined" || c.category === "raw:getWithBody" ? 2 : 1
            if (outcomes.length < expected) {
              transportErrors++
              sample("transport", `${outcomes.length} of ${expected} answers ← ${describeCase(c)}`)
            }
            for (const outcome of outcomes) {
            if (outcome.error === "timeout" || /Timeout/i.test(outcome.error ?? "")) {
              hangs++
              sample("hang", describeCase(c))
              break
            }
            if (outcome.status === undefined) {
              transportErrors++
              sample("transport", `${outcome.error} ← ${describeCase(c)}`)
              break
            }
            if (outcome.status >= 500) {
              serverErrors++
              sample("5xx", `${outcome.status} ${outcome.body.slice(0, 200)} ← ${describeCase(c)}`)
            }
            if (outcome.status >= 200 && outcome.status < 300) statusClasses["2xx"]++
            else if (outcome.status >= 400 && outcome.status < 500) statusClasses["4xx"]++
            else statusClasses.other++
            if (!isVaultShaped(method === "RAW" ? "GET" : method, outcome)) {
              nonJson++
              sample("nonJson", `${outcome.status} ${JSON.stringify(outcome.body.slice(0, 200))} ← ${describeCase(c)}`)
            }
            }
          }
        }
        await Promise.all(Array.from({ length: CONCURRENCY }, worker))
        const tls = server.exited ? { sent: 0, aliveAfter: false } : await tlsGarbage(server, FULL ? 2_000 : 100)

        const crashed = server.exited ? 1 : 0
        const after = crashed ? "" : await seededView(viaPool(pool))
        const memoryAfter = crashed ? undefined : await server.memory()
        const seededIntact = !crashed && after === before
        const listingProblems = crashed ? ["crashed"] : await indexProblems(viaPool(pool))
        const mib = (n: number | undefined) => n === undefined ? "n/a" : Math.round((n / 1024 / 1024) * 10) / 10
        const seconds = (Date.now() - started) / 1000

        const figures: Record<string, number | string> = {
          "requests sent": sent,
          "HTTP requests (keep-alive, incl. chunked and slow bodies)": sent - (counts.get("raw") ?? 0) - [...counts].filter(([k]) => k.startsWith("raw:")).reduce((a, [, n]) => a + n, 0),
          "well-formed operations on fuzz names": counts.get("valid") ?? 0,
          "chunked bodies": counts.get("chunked") ?? 0,
          "slow clients": counts.get("slow") ?? 0,
          "restore bodies (mutated backup blobs)": counts.get("restore") ?? 0,
          "raw socket requests": [...counts].filter(([k]) => k.startsWith("raw:")).reduce((a, [, n]) => a + n, 0),
          "answers 2xx": statusClasses["2xx"],
          "answers 4xx": statusClasses["4xx"],
          "crashes": crashed,
          "5xx answers": serverErrors,
          "non-JSON or non-Key Vault-shaped answers (app)": nonJson,
          "hangs (no answer within 15 s)": hangs,
          "transport errors": transportErrors,
          "seeded state intact": seededIntact ? "yes" : "no",
          "listing inconsistencies afterwards (order, duplicates, unreadable items)": listingProblems.length,
          "garbage connections to the HTTPS port (random bytes, plaintext, cut TLS hellos)": tls.sent,
          "HTTPS port answers a proper request afterwards": tls.aliveAfter ? "yes" : "no",
          "parser-level rejections (Node's HTTP parser)": parserLevel,
          "parser-level rejections without a JSON body": parserLevelNonJson,
          "parser-level JSON answers enforced (server handles parser errors)": parserHandlersInstalled ? "yes" : "no",
          "server RSS before (MiB)": mib(memoryBefore.rss),
          "server RSS after (MiB)": mib(memoryAfter?.rss),
          "server heap used before (MiB, after GC)": mib(memoryBefore.heapUsed),
          "server heap used after (MiB, after GC)": mib(memoryAfter?.heapUsed),
          "duration (s)": Math.round(seconds * 10) / 10
        }
        const notes = [
          `fast-check seed ${SEED}, ${CONCURRENCY} concurrent workers, plain HTTP emulator in a child process (--expose-gc).`,
          "Writes never target the seeded names; the seeded view (latest, versions, deleted) is compared byte for byte before and after.",
          "Heap after includes the secrets the fuzzer itself created (valid PUTs to generated names).",
          ...Object.entries(samples).map(([k, v]) => `${k} samples: ${v.join(" | ")}`)
        ]
        writeFigures(figures, notes)
        if (crashed) throw new Error(`emulator crashed (exit ${server.exitCode})\n${server.stderr}`)
        expect({ serverErrors, nonJson, hangs, transportErrors, samples: serverErrors + nonJson + hangs + transportErrors > 0 ? samples : {} })
          .toEqual({ serverErrors: 0, nonJson: 0, hangs: 0, transportErrors: 0, samples: {} })
        expect(seededIntact).toBe(true)
        expect(listingProblems).toEqual([])
        expect(tls.aliveAfter).toBe(true)
        if (parserHandlersInstalled) expect({ parserLevelNonJson, samples }).toMatchObject({ parserLevelNonJson: 0 })
      } finally {
        await pool.close()
        await server.stop()
      }
    }), FULL ? 1_800_000 : 120_000)
  it.live(`the same generated HTTP requests through the in-process handler (web Request → Response)`, () =>
    Effect.promise(async () => {
      const started = Date.now()
      const scope = Effect.runSync(Scope.make())
      try {
        const { engine, handler } = await Effect.runPromise(Scope.extend(Emulator.makeHandler({ token: TOKEN }), scope))
        const origin = "https://fuzz.vault.azure.net"
        const client = viaHandler(handler, origin)
        await Effect.runPromise(engine.seed([
          { name: "seed-cert", value: "pfx-1", contentType: "application/x-pkcs12", managed: true, kid: "k1" },
          { name: "seed-cert", value: "pfx-2", contentType: "application/x-pkcs12", managed: true, kid: "k2" }
        ]))
        const blobs = await seedVault(client)
        const before = await seededView(client)
        let sent = 0
        let rejected = 0
        let notConstructible = 0
        let serverErrors = 0
        let nonJson = 0
        const samples: Record<string, Array<string>> = {}
        const sample = (k: string, v: string) => {
          const list = (samples[k] ??= [])
          if (list.length < 5) list.push(v.slice(0, 400))
        }
        for (let batch = 0; sent < TOTAL; batch++) {
          const cases = fc.sample(httpCaseArb(blobs).map((c) => c as Case), { numRuns: Math.min(100, TOTAL - sent), seed: SEED + 7919 + batch })
          // Let the event loop run between batches: awaiting in-process answers alone never yields to it,
          // and vitest's worker needs it to report progress.
          await new Promise((resolve) => setImmediate(resolve))
          for (const c of cases) {
            sent++
            if (c.type !== "http") continue
            let request: Request
            try {
              const body = c.body.kind === "none"
                ? undefined
                : c.body.kind === "text"
                ? c.body.text
                : new Blob([c.body.text]).stream()
              request = new Request(origin + c.path, {
                method: c.method,
                headers: c.headers,
                ...(body !== undefined ? { body, duplex: "half" } : {})
              } as RequestInit)
            } catch {
              // e.g. TRACE, or a header value fetch refuses: no Request to hand over
              notConstructible++
              continue
            }
            let outcome: Outcome
            try {
              const res = await handler(request)
              outcome = { status: res.status, body: await res.text(), contentType: res.headers.get("content-type") ?? undefined }
            } catch (e) {
              rejected++
              sample("rejected", `${String(e)} ← ${c.method} ${c.path.slice(0, 200)}`)
              continue
            }
            if (outcome.status! >= 500) {
              serverErrors++
              sample("5xx", `${outcome.status} ${outcome.body.slice(0, 200)} ← ${c.method} ${c.path.slice(0, 200)}`)
            }
            if (!isVaultShaped(c.method, outcome)) {
              nonJson++
              sample("nonJson", `${outcome.status} ${JSON.stringify(outcome.body.slice(0, 200))} ← ${c.method} ${c.path.slice(0, 200)}`)
            }
          }
        }
        const seededIntact = (await seededView(client)) === before
        const listingProblems = await indexProblems(client)
        writeFigures({
          "in-process: requests": sent,
          "in-process: not constructible as a web Request (skipped)": notConstructible,
          "in-process: handler rejections (crashes)": rejected,
          "in-process: 5xx answers": serverErrors,
          "in-process: non-JSON or non-Key Vault-shaped answers": nonJson,
          "in-process: seeded state intact": seededIntact ? "yes" : "no",
          "in-process: listing inconsistencies afterwards": listingProblems.length,
          "in-process: duration (s)": Math.round((Date.now() - started) / 100) / 10
        }, Object.entries(samples).map(([k, v]) => `in-process ${k} samples: ${v.join(" | ")}`))
        expect({ rejected, serverErrors, nonJson, samples: rejected + serverErrors + nonJson > 0 ? samples : {} })
          .toEqual({ rejected: 0, serverErrors: 0, nonJson: 0, samples: {} })
        expect(seededIntact).toBe(true)
        expect(listingProblems).toEqual([])
      } finally {
        await Effect.runPromise(Scope.close(scope, Exit.void))
      }
    }), FULL ? 900_000 : 60_000)
})
