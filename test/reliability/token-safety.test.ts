/**
 * Token safety: hostile and faulty servers try to get the client's bearer token (or a token for another
 * resource) sent somewhere other than the vault. Real sockets on 127.0.0.1: one "vault" server the client is
 * configured for and one "other" server (another port, an attacker's stand-in), on every transport.
 *
 * A leak is a bearer token reaching any server other than the configured vault (origin and path). Also
 * counted: tokens requested for a resource the vault may not claim, request bodies sent without a token,
 * and requests per call under an endless CAE challenge.
 *
 * Sizes: small by default; `RELIABILITY_FULL=1` repeats every case (with fresh ports) and runs the cases of
 * each group concurrently. With `RELIABILITY_OUT=<dir>` the figures are written to `<dir>/token-safety.json`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import Undici from "@effect/platform-node/Undici"
import { assert, describe, it } from "@effect/vitest"
import { Credential, RetryPolicy, SecretClient } from "@effect-keyvault/secrets"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo, LookupFunction } from "node:net"
import * as path from "node:path"
import * as selfsigned from "selfsigned"

const FULL = process.env.RELIABILITY_FULL === "1"
const ROUNDS = FULL ? 5 : 1
const VERSION = "0123456789abcdef0123456789abcdef"

// ---------------------------------------------------------------------------------------------------------
// Servers that record everything they receive

interface Received {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
  readonly body: string
}

interface Reply {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: unknown
}

interface Server {
  readonly url: string
  readonly port: number
  readonly received: Array<Received>
  handler: (req: Received) => Reply
}

const startServer = (tls?: { readonly key: string; readonly cert: string }) => Effect.acquireRelease(
  Effect.async<{ server: Server; raw: http.Server }>((resume) => {
    const state: Server = { url: "", port: 0, received: [], handler: () => ({ status: 404 }) }
    const scheme = tls === undefined ? "http" : "https"
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const rec: Received = {
          method: req.method ?? "GET",
          url: `${scheme}://${req.headers.host}${req.url}`,
          authorization: req.headers["authorization"],
          body: Buffer.concat(chunks).toString("utf8")
        }
        state.received.push(rec)
        const reply = state.handler(rec)
        res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...reply.headers })
        res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body))
      })
    }
    const raw: http.Server = tls === undefined ? http.createServer(listener) : https.createServer(tls, listener)
    raw.listen(0, "127.0.0.1", () => {
      const port = (raw.address() as AddressInfo).port
      Object.assign(state, { url: `${scheme}://127.0.0.1:${port}`, port })
      resume(Effect.succeed({ server: state, raw }))
    })
  }),
  ({ raw }) =>
    Effect.async<void>((resume) => {
      raw.closeAllConnections()
      raw.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ server }) => server))

const bundle = (name: string, value = "served") => ({
  value,
  id: `https://x.vault.azure.net/secrets/${name}/${VERSION}`,
  attributes: { enabled: true, created: 1700000000, updated: 1700000000, recoveryLevel: "Recoverable+Purgeable" },
  tags: {}
})

const unauthorized = (challenge: string): Reply => ({
  status: 401,
  headers: { "www-authenticate": challenge },
  body: { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }
})

const challenge = (resource: string, authority = "https://login.microsoftonline.com/tenant-1") =>
  `Bearer authorization="${authority}", resource="${resource}"`

/** The "other" server answers everything like a vault would, to look as attractive as possible. */
const attractive = (req: Received): Reply =>
  req.authorization === undefined
    ? unauthorized(challenge(new URL(req.url).origin))
    : { status: 200, body: req.url.includes("/secrets?") ? { value: [] } : bundle("n") }

// ---------------------------------------------------------------------------------------------------------
// Clients on every transport, with a credential that says which scope each token was minted for

const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["undici", NodeHttpClient.layerUndici],
  ["fetch", FetchHttpClient.layer],
  ["node:http", NodeHttpClient.layer]
]

interface Tally {
  cases: number
  leaks: number
  tokensForUnverifiedResources: number
  unauthenticatedBodies: number
  valuesToOtherServers: number
  maxRequestsPerCallUnderCae: number
  readonly outcomes: Record<string, number>
  readonly groups: Record<string, number>
  readonly leakDetails: Array<string>
}

const tally: Tally = {
  cases: 0,
  leaks: 0,
  tokensForUnverifiedResources: 0,
  unauthenticatedBodies: 0,
  valuesToOtherServers: 0,
  maxRequestsPerCallUnderCae: 0,
  outcomes: {},
  groups: {},
  leakDetails: []
}

const VALUE = "token-safety-value-7d1f"

interface CaseSpec {
  readonly group: string
  readonly label: string
  readonly transport: string
  readonly httpLayer: Layer.Layer<HttpClient.HttpClient>
  /** Which vault URL the client is given (default: the vault server's URL). */
  readonly vaultUrl?: (vault: Server) => string
  readonly allowInsecureLoopback?: boolean
  /** The vault's behaviour; `other` is the attacker's server. */
  readonly vault: (other: Server, vault: Server) => (req: Received) => Reply
  readonly op: (c: SecretClient.Service, other: Server, vault: Server) => Effect.Effect<unknown, unknown>
  /** Scopes the client may legitimately ask a token for. */
  readonly allowedScopes: (vault: Server) => ReadonlyArray<string>
  /** Serve HTTPS with a certificate for the vault host names (the transport resolves them to 127.0.0.1). */
  readonly tls?: boolean
}

const runCase = (spec: CaseSpec) =>
  Effect.gen(function*() {
    const tls = spec.tls ? yield* Effect.promise(certificate) : undefined
    const vault = yield* startServer(tls)
    const other = yield* startServer(tls)
    vault.handler = spec.vault(other, vault)
    other.handler = attractive
    const minted = new Map<string, string>()
    let n = 0
    const credential = Layer.succeed(Credential.Credential, {
      getToken: (scopes) =>
        Effect.sync(() => {
          const token = `tok-${++n}-${Math.random().toString(36).slice(2)}`
          minted.set(token, scopes.join(" "))
          return { token: Redacted.make(token), expiresOnTimestamp: Date.now() + 3_600_000 }
        })
    })
    const ctx = yield* Layer.build(Layer.merge(spec.httpLayer, credential))
    const vaultUrl = spec.vaultUrl?.(vault) ?? vault.url
    const outcome = yield* SecretClient.make({ vaultUrl, allowInsecureLoopback: spec.allowInsecureLoopback ?? true }).pipe(
      Effect.flatMap((c) => spec.op(c, other, vault)),
      Effect.provide(ctx),
      Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.none),
      Effect.timeout("10 seconds"),
      Effect.match({
        onFailure: (e) => (e as { _tag?: string; reason?: string })._tag === "ChallengeError"
          ? `ChallengeError:${(e as { reason: string }).reason}`
          : String((e as { _tag?: string })._tag ?? "failure"),
        onSuccess: () => "success"
      })
    )
    // The configured vault: its origin, and its path when it has one.
    const vaultBase = new URL(vaultUrl)
    const vaultPath = vaultBase.pathname.replace(/\/+$/, "")
    const atVault = (url: string) => {
      const u = new URL(url)
      return u.origin === vaultBase.origin && (vaultPath === "" || u.pathname.startsWith(`${vaultPath}/`))
    }
    const allowed = new Set(spec.allowedScopes(vault))
    const label = `${spec.group} / ${spec.transport} / ${spec.label}`
    for (const [server, name] of [[vault, "vault"], [other, "other"]] as const) {
      for (const r of server.received) {
        if (r.authorization !== undefined && !atVault(r.url)) {
          tally.leaks++
          tally.leakDetails.push(`${label}: token at ${name} ${r.method} ${r.url}`)
        }
        if (r.authorization === undefined && r.body !== "") tally.unauthenticatedBodies++
        if (name === "other" && r.body.includes(VALUE)) tally.valuesToOtherServers++
      }
    }
    for (const scope of minted.values()) {
      if (!allowed.has(scope)) {
        tally.tokensForUnverifiedResources++
        tally.leakDetails.push(`${label}: token minted for ${scope}`)
      }
    }
    tally.cases++
    tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1
    tally.groups[spec.group] = (tally.groups[spec.group] ?? 0) + 1
    return { outcome, vault, other }
  }).pipe(Effect.scoped)

const ownScope = (vault: Server) => [`${vault.url}/.default`]

/** The vault answers the probe with `challengeHeader` and authenticated requests with `authed`. */
const challenging = (challengeHeader: (other: Server, vault: Server) => string, authed: (req: Received, other: Server, vault: Server) => Reply = () => ({ status: 200, body: bundle("n") })) =>
  (other: Server, vault: Server) => (req: Received): Reply =>
    req.authorization === undefined ? unauthorized(challengeHeader(other, vault)) : authed(req, other, vault)

const writeAndRead = (c: SecretClient.Service) => Effect.zipRight(c.setSecret("n", VALUE), c.getSecret("n"))

// ---------------------------------------------------------------------------------------------------------
// The cases

const foreignResources: ReadonlyArray<readonly [string, (o: Server, v: Server) => string]> = [
  ["another port on the same host", (o) => o.url],
  ["the same port under another loopback name", (_, v) => `http://localhost:${v.port}`],
  ["userinfo before the vault host", (_, v) => `http://x@127.0.0.1:${v.port}`],
  ["the vault as userinfo of another host", (_, v) => `http://127.0.0.1:${v.port}@evil.example`],
  ["a percent-encoded authority", (_, v) => `http://127.0.0.1%3A${v.port}`],
  ["a backslash in the authority", (_, v) => `http://127.0.0.1:${v.port}\\@evil.example`],
  ["the public cloud resource", () => "https://vault.azure.net"],
  ["a single-label parent", () => "https://net"],
  ["a look-alike domain", () => "https://127.0.0.1.evil.example"],
  ["a foreign domain", () => "https://evil.example"]
]

const scopeChallenges: ReadonlyArray<readonly [string, (o: Server, v: Server) => string]> = [
  ["a scope parameter for another port", (o) => `Bearer authorization="https://login.microsoftonline.com/t", scope="${o.url}/.default"`],
  ["a scope parameter for another host", () => `Bearer authorization="https://login.microsoftonline.com/t", scope="https://evil.example/.default"`]
]

const foreignLinks: ReadonlyArray<readonly [string, (o: Server, v: Server) => string]> = [
  ["another port", (o) => `${o.url}/secrets?api-version=2026-04-01&$skiptoken=2`],
  ["another loopback name", (_, v) => `http://localhost:${v.port}/secrets?api-version=2026-04-01&$skiptoken=2`],
  ["another scheme", (_, v) => `https://127.0.0.1:${v.port}/secrets?api-version=2026-04-01&$skiptoken=2`],
  ["userinfo naming the vault, host the other server", (o, v) => `http://127.0.0.1:${v.port}@127.0.0.1:${o.port}/secrets?$skiptoken=2`],
  ["a scheme-relative link", (o) => `//127.0.0.1:${o.port}/secrets?$skiptoken=2`],
  ["a relative link", () => `/secrets?$skiptoken=2`]
]

const redirectStatuses = [301, 302, 303, 307, 308] as const

/** The vault's probe gets the vault's own (valid) challenge; its authenticated answers come from `authed`. */
const ownChallenge = (authed: (req: Received, other: Server, vault: Server) => Reply) =>
  challenging((_, v) => challenge(v.url), authed)

const cases = (transport: string, httpLayer: Layer.Layer<HttpClient.HttpClient>): ReadonlyArray<CaseSpec> => {
  const base = { transport, httpLayer, allowedScopes: ownScope }
  const out: Array<CaseSpec> = []
  // Control: the vault's own challenge works and the token goes only to the vault.
  out.push({ ...base, group: "control", label: "the vault's own challenge", vault: ownChallenge(() => ({ status: 200, body: bundle("n") })), op: writeAndRead })
  for (const [label, resource] of foreignResources) {
    out.push({ ...base, group: "foreign challenge resource", label, vault: challenging((o, v) => challenge(resource(o, v))), op: writeAndRead })
  }
  for (const [label, header] of scopeChallenges) {
    out.push({ ...base, group: "foreign challenge resource", label, vault: challenging(header), op: writeAndRead })
  }
  // A second challenge on an authenticated request, naming a foreign resource.
  for (const [label, resource] of [...foreignResources.slice(0, 3), foreignResources[6]]) {
    out.push({
      ...base,
      group: "second challenge",
      label,
      vault: ownChallenge((req, o, v) => req.method === "GET" ? unauthorized(challenge(resource(o, v))) : { status: 200, body: bundle("n") }),
      op: writeAndRead
    })
  }
  // A second challenge naming the same resource (new tenant): accepted, token still only to the vault.
  out.push({
    ...base,
    group: "second challenge",
    label: "same resource, another tenant (accepted)",
    vault: ownChallenge((req, _, v) =>
      req.method === "GET" && !req.authorization!.startsWith("Bearer tok-2")
        ? unauthorized(challenge(v.url, "https://login.microsoftonline.com/tenant-2"))
        : { status: 200, body: bundle("n") }),
    op: writeAndRead
  })
  // CAE: every authenticated request is answered with insufficient_claims, forever.
  const claims = Buffer.from(JSON.stringify({ access_token: { nbf: { essential: true, value: "1" } } })).toString("base64")
  for (const [label, extra] of [["plain", ""], ["naming another scope", `, scope="https://evil.example/.default"`]] as const) {
    out.push({
      ...base,
      group: "CAE loop",
      label,
      vault: ownChallenge(() =>
        unauthorized(`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${claims}"${extra}`)
      ),
      op: (c, _, v) =>
        Effect.gen(function*() {
          const before = v.received.length
          const e = yield* Effect.flip(c.getSecret("n"))
          tally.maxRequestsPerCallUnderCae = Math.max(tally.maxRequestsPerCallUnderCae, v.received.length - before)
          const again = v.received.length
          yield* Effect.flip(c.getSecret("n"))
          tally.maxRequestsPerCallUnderCae = Math.max(tally.maxRequestsPerCallUnderCae, v.received.length - again)
          return yield* Effect.fail(e)
        })
    })
  }
  // Foreign nextLinks and continuation tokens.
  for (const [label, link] of foreignLinks) {
    out.push({
      ...base,
      group: "foreign nextLink",
      label,
      vault: ownChallenge((_, o, v) => ({ status: 200, body: { value: [{ id: "https://x.vault.azure.net/secrets/a", attributes: {} }], nextLink: link(o, v) } })),
      op: (c) => Stream.runDrain(c.listPropertiesOfSecrets())
    })
    out.push({
      ...base,
      group: "foreign continuation token",
      label,
      vault: ownChallenge(() => ({ status: 200, body: { value: [] } })),
      // A first request authenticates the client, then the token comes from elsewhere.
      op: (c, o, v) => Effect.zipRight(c.getSecret("n"), Stream.runDrain(c.listPropertiesOfSecrets({ continuationToken: link(o, v) })))
    })
  }
  // A vault behind a gateway path: links elsewhere on the same host are foreign too.
  out.push({
    ...base,
    group: "foreign nextLink",
    label: "outside the vault's gateway path",
    vaultUrl: (v) => `${v.url}/kv`,
    vault: ownChallenge((_, __, v) => ({ status: 200, body: { value: [], nextLink: `${v.url}/other/secrets?$skiptoken=2` } })),
    op: (c) => Stream.runDrain(c.listPropertiesOfSecrets())
  })
  // Redirects (3xx) from the vault to another port, and (gateway vault) to another path, for a read and a write.
  for (const status of redirectStatuses) {
    for (const [label, target, vaultUrl] of [
      ["to another port", (o: Server) => `${o.url}/secrets/n`, undefined],
      ["outside the vault's gateway path", (_: Server, v: Server) => `${v.url}/other/secrets/n`, (v: Server) => `${v.url}/kv`]
    ] as const) {
      for (const [opLabel, op] of [["getSecret", (c: SecretClient.Service) => c.getSecret("n")], ["setSecret", (c: SecretClient.Service) => c.setSecret("n", VALUE)]] as const) {
        out.push({
          ...base,
          group: "3xx redirect",
          label: `${status} ${label} (${opLabel})`,
          ...(vaultUrl !== undefined ? { vaultUrl } : {}),
          vault: ownChallenge((req, o, v) =>
            new URL(req.url).pathname.startsWith("/other")
              ? { status: 200, body: bundle("n") }
              : { status, headers: { location: target(o, v) } }),
          op
        })
      }
    }
    // A redirected probe: the redirect target's challenge must not be trusted for the target.
    out.push({
      ...base,
      group: "3xx redirect",
      label: `${status} on the token-less probe, to another port`,
      vault: (o) => (req) => req.authorization === undefined ? { status, headers: { location: `${o.url}/secrets/n` } } : { status: 200, body: bundle("n") },
      op: (c) => c.getSecret("n")
    })
  }
  return out
}

/** Plain HTTP: nothing is sent unless the host is loopback and loopback HTTP was allowed. */
const plainHttpCases = (transport: string, httpLayer: Layer.Layer<HttpClient.HttpClient>): ReadonlyArray<CaseSpec> => [
  {
    transport,
    httpLayer,
    group: "plain HTTP",
    label: "loopback without allowInsecureLoopback",
    allowInsecureLoopback: false,
    allowedScopes: () => [],
    vault: challenging((_, v) => challenge(v.url)),
    op: writeAndRead
  },
  {
    transport,
    httpLayer,
    group: "plain HTTP",
    label: "a non-loopback host with allowInsecureLoopback",
    vaultUrl: (v) => `http://vault.example.invalid:${v.port}`,
    allowedScopes: () => [],
    vault: challenging((_, v) => challenge(v.url)),
    op: writeAndRead
  }
]

// ---------------------------------------------------------------------------------------------------------
// Real host names over HTTPS: every name below resolves to 127.0.0.1 for the test's transports only, and a
// self-signed certificate (trusted by those transports only) names them all.

const VAULT_HOST = "myvault.vault.azure.net"
const SIBLING_HOST = "other.vault.azure.net"
const HOSTS = [VAULT_HOST, SIBLING_HOST, "vault.azure.net", "evil.example"]

let certificatePromise: Promise<{ readonly key: string; readonly cert: string }> | undefined
const certificate = () =>
  certificatePromise ??= selfsigned.generate([{ name: "commonName", value: VAULT_HOST }], {
    keySize: 2048,
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 86_400_000),
    extensions: [{ name: "subjectAltName", altNames: HOSTS.map((value) => ({ type: 2 as const, value })) }]
  }).then((pems) => ({ key: pems.private, cert: pems.cert }))

const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) (callback as (e: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address: "127.0.0.1", family: 4 }])
  else callback(null, "127.0.0.1", 4)
}

const tlsTransports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  [
    "undici",
    NodeHttpClient.layerUndiciWithoutDispatcher.pipe(Layer.provide(Layer.scoped(
      NodeHttpClient.Dispatcher,
      Effect.acquireRelease(
        Effect.map(Effect.promise(certificate), (c) => new Undici.Agent({ connect: { ca: c.cert, lookup: toLoopback } })),
        (agent) => Effect.promise(() => agent.destroy())
      )
    )))
  ],
  [
    "fetch",
    Layer.unwrapScoped(Effect.map(
      Effect.acquireRelease(
        Effect.map(Effect.promise(certificate), (c) => new Undici.Agent({ connect: { ca: c.cert, lookup: toLoopback } })),
        (agent) => Effect.promise(() => agent.destroy())
      ),
      // Node's fetch takes an undici dispatcher in its init; the client keeps it while forcing manual redirects.
      (agent) => FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { dispatcher: agent } as RequestInit)))
    ))
  ],
  [
    "node:http",
    Layer.unwrapEffect(Effect.map(Effect.promise(certificate), (c) =>
      NodeHttpClient.layerWithoutAgent.pipe(Layer.provide(NodeHttpClient.makeAgentLayer({ ca: c.cert, lookup: toLoopback })))))
  ]
]

const tlsCases = (transport: string, httpLayer: Layer.Layer<HttpClient.HttpClient>): ReadonlyArray<CaseSpec> => {
  const vaultUrl = (v: Server) => `https://${VAULT_HOST}:${v.port}`
  const base = { transport, httpLayer, tls: true, vaultUrl, allowedScopes: (v: Server) => [`https://vault.azure.net:${v.port}/.default`, `https://VAULT.AZURE.NET:${v.port}/.default`] }
  const group = "host names over HTTPS"
  const out: Array<CaseSpec> = []
  const resources: ReadonlyArray<readonly [string, (o: Server, v: Server) => string, boolean]> = [
    ["the parent domain on the vault's port (accepted)", (_, v) => `https://vault.azure.net:${v.port}`, true],
    ["the parent domain in capitals (accepted)", (_, v) => `https://VAULT.AZURE.NET:${v.port}`, true],
    ["the parent domain without a port (443)", () => "https://vault.azure.net", false],
    ["the parent domain on another port", (o) => `https://vault.azure.net:${o.port}`, false],
    ["the vault host itself", (_, v) => `https://${VAULT_HOST}:${v.port}`, false],
    ["a sibling vault", (_, v) => `https://${SIBLING_HOST}:${v.port}`, false],
    ["userinfo", (_, v) => `https://x@vault.azure.net:${v.port}`, false],
    ["a single-label parent", (_, v) => `https://net:${v.port}`, false],
    ["a look-alike domain", (_, v) => `https://vault.azure.net.evil.example:${v.port}`, false],
    ["a percent-encoded dot", (_, v) => `https://vault%2eazure.net:${v.port}`, false]
  ]
  for (const [label, resource] of resources) {
    out.push({ ...base, group, label: `challenge: ${label}`, vault: challenging((o, v) => challenge(resource(o, v))), op: writeAndRead })
  }
  const parent = (_: Server, v: Server) => challenge(`https://vault.azure.net:${v.port}`)
  const links: ReadonlyArray<readonly [string, (o: Server, v: Server) => string]> = [
    ["a sibling vault on the same port", (_, v) => `https://${SIBLING_HOST}:${v.port}/secrets?$skiptoken=2`],
    ["the vault host on another port", (o) => `https://${VAULT_HOST}:${o.port}/secrets?$skiptoken=2`],
    ["a downgrade to plain HTTP", (_, v) => `http://${VAULT_HOST}:${v.port}/secrets?$skiptoken=2`],
    ["a foreign domain", (_, v) => `https://evil.example:${v.port}/secrets?$skiptoken=2`]
  ]
  for (const [label, link] of links) {
    out.push({
      ...base,
      group,
      label: `nextLink: ${label}`,
      vault: challenging(parent, (_, o, v) => ({ status: 200, body: { value: [], nextLink: link(o, v) } })),
      op: (c) => Stream.runDrain(c.listPropertiesOfSecrets())
    })
  }
  for (const status of redirectStatuses) {
    out.push({
      ...base,
      group,
      label: `${status} to a sibling vault (setSecret)`,
      vault: challenging(parent, (req, _, v) =>
        new URL(req.url).host === VAULT_HOST + `:${v.port}`
          ? { status, headers: { location: `https://${SIBLING_HOST}:${v.port}/secrets/n` } }
          : { status: 200, body: bundle("n") }),
      op: (c) => c.setSecret("n", VALUE)
    })
  }
  return out
}

const writeFigures = () => {
  const out = process.env.RELIABILITY_OUT
  if (out === undefined || out === "") return
  fs.mkdirSync(out, { recursive: true })
  const figures: Record<string, number | string> = {
    cases: tally.cases,
    leaks: tally.leaks,
    "tokens for unverified resources": tally.tokensForUnverifiedResources,
    "request bodies sent without a token": tally.unauthenticatedBodies,
    "secret values reaching another server": tally.valuesToOtherServers,
    "max requests per call under an endless CAE challenge": tally.maxRequestsPerCallUnderCae,
    transports: transports.map(([t]) => t).join(", ")
  }
  for (const [g, n] of Object.entries(tally.groups)) figures[`cases: ${g}`] = n
  for (const [o, n] of Object.entries(tally.outcomes)) figures[`outcome: ${o}`] = n
  fs.writeFileSync(
    path.join(out, "token-safety.json"),
    JSON.stringify(
      {
        suite: "token-safety",
        title: "Token safety",
        size: FULL ? "full" : "small",
        figures,
        notes: [
          "A leak is a bearer token reaching any server other than the configured vault (its origin, and its path when it has one). Target: 0.",
          "Servers are real sockets on 127.0.0.1: the vault the client is configured for, and another server on another port standing in for an attacker; both record every request.",
          "Tokens are minted per call with the scope they were requested for; a token requested for a resource the vault may not claim counts even if it was never sent.",
          "Host names over HTTPS: myvault.vault.azure.net and its neighbours resolve to 127.0.0.1 for the test's transports only, with a self-signed certificate those transports trust; the vault's port is not 443, so a resource must name it.",
          `Groups: foreign challenge resources (ports, loopback names, userinfo, %, backslash, single label, look-alike and foreign domains, scope parameters), second challenges, endless CAE challenges, foreign nextLinks and continuation tokens, gateway paths, 3xx redirects (${redirectStatuses.join("/")}) to other ports and paths on the token-less probe and on authenticated reads and writes, plain HTTP. Every case on every transport.`,
          FULL ? `Full size: every case ${ROUNDS} times with fresh ports, the cases of a group concurrently.` : "Small size: every case once."
        ]
      },
      null,
      2
    )
  )
}

describe("token safety", () => {
  for (const [transport, httpLayer] of transports) {
    const all = [...cases(transport, httpLayer), ...plainHttpCases(transport, httpLayer)]
    const groups = [...new Set(all.map((c) => c.group))]
    for (const group of groups) {
      it.live(`${transport}: ${group}`, () =>
        Effect.gen(function*() {
          const specs = all.filter((c) => c.group === group)
          const before = tally.leaks + tally.tokensForUnverifiedResources
          const results = yield* Effect.forEach(
            Array.from({ length: ROUNDS }, () => specs).flat(),
            (spec) => Effect.map(runCase(spec), (r) => [spec, r.outcome] as const),
            { concurrency: FULL ? 8 : 1 }
          )
          // Per-case expectations: every foreign case is refused; controls succeed.
          for (const [spec, outcome] of results) {
            if (group === "control" || spec.label.includes("(accepted)")) {
              assert.strictEqual(outcome, "success", `${transport} ${spec.label}`)
            } else if (group === "foreign challenge resource" || group === "second challenge") {
              assert.match(outcome, /^ChallengeError:(ResourceMismatch|InvalidChallenge)$/, `${transport} ${spec.label}`)
            } else if (group === "plain HTTP") {
              assert.strictEqual(outcome, "ChallengeError:InsecureUrl", `${transport} ${spec.label}`)
            } else {
              assert.notStrictEqual(outcome, "success", `${transport} ${spec.label}`)
            }
          }
          assert.deepStrictEqual(tally.leakDetails, [])
          assert.strictEqual(tally.leaks + tally.tokensForUnverifiedResources, before)
        }), 120_000)
    }
  }

  for (const [transport, httpLayer] of tlsTransports) {
    it.live(`${transport}: host names over HTTPS`, () =>
      Effect.gen(function*() {
        const specs = tlsCases(transport, httpLayer)
        const results = yield* Effect.forEach(
          Array.from({ length: ROUNDS }, () => specs).flat(),
          (spec) => Effect.map(runCase(spec), (r) => [spec, r.outcome] as const),
          { concurrency: FULL ? 8 : 1 }
        )
        for (const [spec, outcome] of results) {
          if (spec.label.includes("(accepted)")) assert.strictEqual(outcome, "success", `${transport} ${spec.label}`)
          else assert.notStrictEqual(outcome, "success", `${transport} ${spec.label}`)
        }
        assert.deepStrictEqual(tally.leakDetails, [])
      }), 120_000)
  }

  it("figures: leaks 0, no token for an unverified resource, no body without a token, CAE bounded", () => {
    writeFigures()
    assert.isAbove(tally.cases, 0)
    assert.strictEqual(tally.leaks, 0)
    assert.strictEqual(tally.tokensForUnverifiedResources, 0)
    assert.strictEqual(tally.unauthenticatedBodies, 0)
    assert.isAtMost(tally.maxRequestsPerCallUnderCae, 3)
  })
})
