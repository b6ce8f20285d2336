/**
 * Replays a real service recording against a running emulator and reports every divergence.
 *
 * Rewrites: vault host (recorded host ↔ emulator origin), secret names (suffixed, so a stale name can
 * never match by accident), versions (recorded version ↔ the version our emulator minted at the same
 * point, bound on first sight and enforced afterwards) and backup blobs (a recorded restore sends the
 * blob *our* emulator produced for the corresponding recorded backup).
 *
 * Compared per entry: status, error code/message/innererror, the set of JSON fields at every level,
 * exact values of everything that is not server-chosen; timestamps must be integers and
 * `scheduledPurgeDate - deletedDate == recoverableDays * 86400`; ids must keep their shape (versioned
 * vs unversioned) and map to the same name/version; headers as the service sends them.
 */
import type { RecordedEntry, Recording } from "./recording.js"

export interface Divergence {
  readonly entry: number
  readonly request: string
  readonly where: string
  readonly expected: unknown
  readonly actual: unknown
}

export interface ReplayTarget {
  /** Emulator base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  readonly token: string
}

export interface ReplayOptions {
  /** Poll interval and deadline for eventually-consistent groups. */
  readonly pollIntervalMs?: number
  readonly pollTimeoutMs?: number
  /** Appended to every recorded secret name (default "-r"); "" replays names unchanged. */
  readonly nameSuffix?: string
  /**
   * Listed items the recording did not create: "reject" (default; our emulator's vault starts empty)
   * or "ignore" (a target that is itself a shared vault, e.g. the recording played back).
   */
  readonly foreignItems?: "reject" | "ignore"
  /**
   * "all" (default): follow nextLink to the end. "recorded": stop after as many pages as the recording
   * fetched (a playback target cannot serve pages the recorded client never asked for).
   */
  readonly pages?: "all" | "recorded"
}

export interface ReplayResult {
  readonly divergences: ReadonlyArray<Divergence>
  /** Status sequences observed while polling eventually-consistent groups (for the test log). */
  readonly polls: ReadonlyArray<{ readonly entry: number; readonly request: string; readonly observed: ReadonlyArray<number> }>
  readonly requestsSent: number
}

const TIMESTAMP_KEYS = new Set(["created", "updated", "deletedDate", "scheduledPurgeDate"])
const HEX32 = /^[0-9a-f]{32}$/
const JSON_CONTENT_TYPE = "application/json; charset=utf-8"
/** The 401 message changed between the recordings (2022) and the 2026 service; both are the real service's. */
const AKV10000_VARIANTS = new Set([
  "AKV10000: Request is missing a Bearer or PoP token.",
  "AKV10000: Request is missing a Bearer, PoP, or MTLS_POP token."
])

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

// ---------------------------------------------------------------------------------------------
// Recording analysis: names, list groups, poll groups, consistency delays
// ---------------------------------------------------------------------------------------------

const isRestoreOp = (segments: ReadonlyArray<string>) => segments.length === 3 && segments[1] === "secrets" && segments[2] === "restore"

/** Secret names that the recording's own requests address (only these are "ours" in listings). */
export const recordedNames = (recording: Recording): ReadonlyArray<string> => {
  const names = new Set<string>()
  for (const e of recording.entries) {
    const segments = e.url.pathname.split("/")
    if ((segments[1] === "secrets" || segments[1] === "deletedsecrets") && segments[2] !== undefined && segments[2] !== "") {
      if (!isRestoreOp(segments)) names.add(decodeURIComponent(segments[2]))
    }
  }
  return [...names]
}

const isListStart = (e: RecordedEntry) =>
  e.method === "GET" &&
  !e.rawQuery.includes("$skiptoken") &&
  (e.url.pathname === "/secrets" || e.url.pathname === "/deletedsecrets" || /^\/secrets\/[^/]+\/versions$/.test(e.url.pathname))

const isContinuationOf = (start: RecordedEntry, e: RecordedEntry) =>
  e.method === "GET" && e.url.pathname === start.url.pathname && e.rawQuery.includes("$skiptoken")

const sameRequest = (a: RecordedEntry, b: RecordedEntry) =>
  a.method === b.method &&
  a.url.pathname === b.url.pathname &&
  a.rawQuery === b.rawQuery &&
  a.authorized === b.authorized &&
  JSON.stringify(a.requestBody) === JSON.stringify(b.requestBody)

export type Step =
  | { readonly _tag: "Single"; readonly entry: RecordedEntry }
  | { readonly _tag: "Poll"; readonly entries: ReadonlyArray<RecordedEntry> }
  | { readonly _tag: "List"; readonly entries: ReadonlyArray<RecordedEntry> }

/** Splits a recording into steps: single requests, eventually-consistent poll groups, paged listings. */
export const planSteps = (recording: Recording): ReadonlyArray<Step> => {
  const steps: Array<Step> = []
  const es = recording.entries
  let i = 0
  while (i < es.length) {
    const e = es[i]!
    if (isListStart(e) && e.authorized) {
      let j = i + 1
      while (j < es.length && isContinuationOf(e, es[j]!)) j++
      steps.push({ _tag: "List", entries: es.slice(i, j) })
      i = j
      continue
    }
    let j = i + 1
    while (j < es.length && sameRequest(e, es[j]!)) j++
    const run = es.slice(i, j)
    if (run.some((r) => r.status !== e.status)) {
      // Transient statuses first, then the final one: poll; trailing repeats of the final status replay as singles.
      const final = run[run.length - 1]!.status
      const k = run.findIndex((r) => r.status === final)
      steps.push({ _tag: "Poll", entries: run.slice(0, k + 1) })
      for (const r of run.slice(k + 1)) steps.push({ _tag: "Single", entry: r })
    } else {
      for (const r of run) steps.push({ _tag: "Single", entry: r })
    }
    i = j
  }
  return steps
}

export interface EmulatorSettings {
  readonly recoveryLevel: string | undefined
  readonly recoverableDays: number | undefined
  readonly consistencyDelay: { delete?: boolean; recover?: boolean; purge?: boolean }
}

/**
 * Emulator settings that reproduce the recorded vault: its recovery level/days and the consistency
 * windows the recording actually shows (404 on get-deleted after delete, 404 on get after recover,
 * 409 on restore after purge). A window the recording does not show stays off, because there the
 * real service answered immediately.
 */
export const settingsFor = (recording: Recording): EmulatorSettings => {
  let recoveryLevel: string | undefined
  let recoverableDays: number | undefined
  for (const e of recording.entries) {
    const attrs = (e.responseBody as { attributes?: { recoveryLevel?: string; recoverableDays?: number } } | undefined)?.attributes
    if (attrs?.recoveryLevel !== undefined && recoveryLevel === undefined) {
      recoveryLevel = attrs.recoveryLevel
      recoverableDays = attrs.recoverableDays
    }
  }
  const consistencyDelay: { delete?: boolean; recover?: boolean; purge?: boolean } = {}
  let sawRecover = false
  for (const step of planSteps(recording)) {
    if (step._tag === "Single" && step.entry.method === "POST" && step.entry.url.pathname.endsWith("/recover")) sawRecover = true
    if (step._tag !== "Poll") continue
    const first = step.entries[0]!
    if (first.method === "GET" && first.url.pathname.startsWith("/deletedsecrets/") && first.status === 404) {
      consistencyDelay.delete = true
    }
    if (first.method === "GET" && first.url.pathname.startsWith("/secrets/") && first.status === 404 && sawRecover) {
      consistencyDelay.recover = true
    }
    if (first.method === "POST" && first.url.pathname === "/secrets/restore" && first.status === 409) {
      consistencyDelay.purge = true
    }
  }
  return { recoveryLevel, recoverableDays, consistencyDelay }
}

// ---------------------------------------------------------------------------------------------
// The replayer
// ---------------------------------------------------------------------------------------------

interface Sent {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly body: unknown
  readonly clientRequestId: string
}

class Replayer {
  readonly divergences: Array<Divergence> = []
  readonly polls: Array<{ entry: number; request: string; observed: ReadonlyArray<number> }> = []
  requestsSent = 0
  private readonly names: ReadonlyArray<string>
  private readonly nameRes: ReadonlyArray<[RegExp, string]>
  private readonly versions = new Map<string, string>()
  private readonly versionsReverse = new Map<string, string>()
  private readonly blobs = new Map<string, string>()
  private readonly recordedOrigin: RegExp
  private readonly target: URL
  private readonly targetOrigin: RegExp

  constructor(
    readonly recording: Recording,
    readonly emulator: ReplayTarget,
    readonly options: Required<ReplayOptions>
  ) {
    this.names = [...recordedNames(recording)].sort((a, b) => b.length - a.length)
    this.nameRes = this.names.map((n) => [new RegExp(`(?<![0-9A-Za-z-])${escapeRegExp(n)}(?![0-9A-Za-z-])`, "g"), this.mapName(n)])
    const host = recording.entries[0]!.url.hostname
    // Recorded bodies name the vault by more than one sanitised host (C++: REDACTED / cpp-recordings).
    this.recordedOrigin = new RegExp(`https://(?:${escapeRegExp(host)}|[A-Za-z0-9_-]+\\.vault\\.azure\\.net)(?::443)?`, "g")
    this.target = new URL(emulator.url)
    this.targetOrigin = new RegExp(escapeRegExp(this.target.origin), "g")
  }

  mapName(name: string): string {
    return name === "" ? "" : `${name}${this.options.nameSuffix}`
  }

  private diverge(entry: RecordedEntry, where: string, expected: unknown, actual: unknown) {
    this.divergences.push({ entry: entry.index, request: `${entry.method} ${entry.url.pathname}${entry.rawQuery}`, where, expected, actual })
  }

  // -- rewriting ---------------------------------------------------------------------------------

  private mapPath(pathname: string): string {
    const segments = pathname.split("/")
    if (segments[1] !== "secrets" && segments[1] !== "deletedsecrets") return pathname
    if (isRestoreOp(segments)) return pathname
    return segments
      .map((s, i) => {
        if (i === 2 && s !== "") return encodeURIComponent(this.mapName(decodeURIComponent(s)))
        if (i === 3 && HEX32.test(s)) return this.versions.get(s) ?? s
        return s
      })
      .join("/")
  }

  private mapRequestBody(body: unknown): unknown {
    if (body !== null && typeof body === "object" && typeof (body as { value?: unknown }).value === "string") {
      const blob = this.blobs.get((body as { value: string }).value)
      if (blob !== undefined) return { ...(body as object), value: blob }
    }
    return body
  }

  /** Recorded string → comparable form (`<vault>` origin, our names, our versions). */
  private normRecorded(s: string): string {
    let out = s.replace(this.recordedOrigin, "<vault>")
    out = out.replace(/[0-9a-f]{32}/g, (v) => this.versions.get(v) ?? v)
    // Two passes through placeholders so that a mapped name is never re-mapped.
    const placeholders: Array<string> = []
    for (const [re, mapped] of this.nameRes) {
      out = out.replace(re, () => {
        placeholders.push(mapped)
        return `\u0000${placeholders.length - 1}\u0000`
      })
    }
    return out.replace(/\u0000(\d+)\u0000/g, (_, i) => placeholders[Number(i)]!)
  }

  private normActual(s: string): string {
    return s.replace(this.targetOrigin, "<vault>")
  }

  /** Binds recorded versions to ours where both strings name a versioned secret at the same position. */
  private bindVersions(entry: RecordedEntry, where: string, recorded: string, actual: string) {
    const re = /\/secrets\/([^/\s'"?]+)\/([0-9a-f]{32})/g
    const rec = [...recorded.matchAll(re)]
    const act = [...actual.matchAll(re)]
    rec.forEach((m, i) => {
      const a = act[i]
      if (a === undefined) return
      const rv = m[2]!
      const av = a[2]!
      if (this.versions.has(rv)) return
      const already = this.versionsReverse.get(av)
      if (already !== undefined && already !== rv) {
        this.diverge(entry, where, `a version distinct from the one bound to recorded ${already}`, av)
        return
      }
      this.versions.set(rv, av)
      this.versionsReverse.set(av, rv)
    })
  }

  // -- comparison --------------------------------------------------------------------------------

  private compareValue(entry: RecordedEntry, where: string, key: string, recorded: unknown, actual: unknown) {
    if (TIMESTAMP_KEYS.has(key)) {
      if (!Number.isInteger(actual)) this.diverge(entry, where, "integer Unix seconds", actual)
      return
    }
    if (recorded !== null && typeof recorded === "object") {
      if (Array.isArray(recorded)) {
        if (!Array.isArray(actual) || actual.length !== recorded.length) {
          this.diverge(entry, where, recorded, actual)
          return
        }
        recorded.forEach((r, i) => this.compareValue(entry, `${where}[${i}]`, key, r, actual[i]))
        return
      }
      if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
        this.diverge(entry, where, "an object", actual)
        return
      }
      this.compareObject(entry, where, recorded as Record<string, unknown>, actual as Record<string, unknown>)
      return
    }
    if (typeof recorded === "string") {
      if (typeof actual !== "string") {
        this.diverge(entry, where, recorded, actual)
        return
      }
      if (key === "message" && AKV10000_VARIANTS.has(recorded)) {
        if (!AKV10000_VARIANTS.has(actual)) this.diverge(entry, where, recorded, actual)
        return
      }
      this.bindVersions(entry, where, recorded, actual)
      const r = this.normRecorded(recorded)
      const a = this.normActual(actual)
      if (r !== a) this.diverge(entry, where, r, a)
      return
    }
    if (recorded !== actual) this.diverge(entry, where, recorded, actual)
  }

  private compareObject(entry: RecordedEntry, where: string, recorded: Record<string, unknown>, actual: Record<string, unknown>) {
    for (const k of Object.keys(recorded)) {
      if (!(k in actual)) this.diverge(entry, `${where}.${k}`, "present", "absent")
    }
    for (const k of Object.keys(actual)) {
      if (!(k in recorded)) this.diverge(entry, `${where}.${k}`, "absent", `present (${JSON.stringify(actual[k])?.slice(0, 80)})`)
    }
    for (const k of Object.keys(recorded)) {
      if (k in actual) this.compareValue(entry, `${where}.${k}`, k, recorded[k], actual[k])
    }
    this.checkPurgeDate(entry, where, actual)
  }

  private checkPurgeDate(entry: RecordedEntry, where: string, actual: Record<string, unknown>) {
    const days = (actual.attributes as { recoverableDays?: unknown } | undefined)?.recoverableDays
    if (typeof actual.deletedDate === "number" && typeof actual.scheduledPurgeDate === "number" && typeof days === "number") {
      const delta = actual.scheduledPurgeDate - actual.deletedDate
      if (delta !== days * 86400) this.diverge(entry, `${where}.scheduledPurgeDate - deletedDate`, days * 86400, delta)
    }
  }

  private compareResponse(entry: RecordedEntry, sent: Sent, options: { readonly body?: boolean } = {}) {
    if (sent.status !== entry.status) {
      this.diverge(entry, "status", entry.status, `${sent.status} ${sent.text.slice(0, 300)}`)
      return
    }
    this.checkHeaders(entry, sent)
    if (options.body === false) return
    if (entry.responseBody === undefined) {
      if (sent.text !== "") this.diverge(entry, "body", "no body", sent.text.slice(0, 200))
      return
    }
    if (sent.body === undefined) {
      this.diverge(entry, "body", "JSON body", sent.text.slice(0, 200))
      return
    }
    // A backup response's blob is opaque: remember ours for the restore that replays the recorded one.
    if (entry.method === "POST" && entry.url.pathname.endsWith("/backup") && entry.status === 200) {
      const rec = (entry.responseBody as { value: string }).value
      const ours = (sent.body as { value?: unknown }).value
      if (typeof ours !== "string" || !/^[A-Za-z0-9_-]+$/.test(ours)) {
        this.diverge(entry, "$.value", "base64url backup blob", ours)
      } else {
        this.blobs.set(rec, ours)
      }
      const { value: _r, ...recRest } = entry.responseBody as Record<string, unknown>
      const { value: _a, ...actRest } = sent.body as Record<string, unknown>
      this.compareObject(entry, "$", recRest, actRest)
      return
    }
    this.compareValue(entry, "$", "", entry.responseBody, sent.body)
  }

  private checkHeaders(entry: RecordedEntry, sent: Sent) {
    const h = sent.headers
    if (!h.get("x-ms-request-id")) this.diverge(entry, "header x-ms-request-id", "present", "absent")
    if (h.get("x-ms-client-request-id") !== sent.clientRequestId) {
      this.diverge(entry, "header x-ms-client-request-id", sent.clientRequestId, h.get("x-ms-client-request-id"))
    }
    if (sent.status === 204) {
      if (sent.text !== "") this.diverge(entry, "204 body", "empty", sent.text.slice(0, 100))
      if (h.get("content-type") !== null) this.diverge(entry, "204 header content-type", "absent", h.get("content-type"))
    } else if (entry.responseBody !== undefined) {
      if (h.get("content-type") !== JSON_CONTENT_TYPE) this.diverge(entry, "header content-type", JSON_CONTENT_TYPE, h.get("content-type"))
    }
    // The service's fixed caching/sniffing headers must match; its region/version/network-info headers
    // must be present (their values describe the recorded deployment). HSTS is not checked: the replay
    // runs over plain HTTP, where Strict-Transport-Security has no meaning.
    for (const name of ["cache-control", "pragma", "expires", "x-content-type-options"]) {
      const recorded = entry.responseHeaders[name]
      if (recorded !== undefined && h.get(name) !== recorded) this.diverge(entry, `header ${name}`, recorded, h.get(name))
    }
    for (const name of ["x-ms-keyvault-region", "x-ms-keyvault-service-version", "x-ms-keyvault-network-info"]) {
      if (entry.responseHeaders[name] !== undefined && !h.get(name)) this.diverge(entry, `header ${name}`, "present", "absent")
    }
    if (entry.status === 401) {
      const recorded = entry.responseHeaders["www-authenticate"] ?? ""
      const actual = h.get("www-authenticate") ?? ""
      const params = (s: string) => Object.fromEntries([...s.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
      const rp = params(recorded)
      const ap = params(actual)
      if (!actual.startsWith("Bearer ")) this.diverge(entry, "header www-authenticate", recorded, actual)
      if (JSON.stringify(Object.keys(rp).sort()) !== JSON.stringify(Object.keys(ap).sort())) {
        this.diverge(entry, "header www-authenticate parameters", Object.keys(rp), Object.keys(ap))
      }
      if (ap.resource !== rp.resource) this.diverge(entry, "header www-authenticate resource", rp.resource, ap.resource)
      if (!/^https:\/\/[^/]+\/[^/]+$/.test(ap.authorization ?? "")) {
        this.diverge(entry, "header www-authenticate authorization", "https://<authority>/<tenant>", ap.authorization)
      }
    }
  }

  // -- HTTP ---------------------------------------------------------------------------------------

  private async send(method: string, url: string, authorized: boolean, body: unknown, clientRequestId: string): Promise<Sent> {
    const headers: Record<string, string> = { accept: "application/json", "x-ms-client-request-id": clientRequestId }
    if (authorized) headers.authorization = `Bearer ${this.emulator.token}`
    let payload: string | undefined
    if (body !== undefined) {
      headers["content-type"] = "application/json"
      payload = JSON.stringify(body)
    }
    this.requestsSent++
    const response = await fetch(url, { method, headers, body: payload })
    const text = await response.text()
    let parsed: unknown = undefined
    if (text !== "") {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
    }
    return { status: response.status, headers: response.headers, text, body: parsed, clientRequestId }
  }

  private sendEntry(entry: RecordedEntry): Promise<Sent> {
    const url = `${this.target.origin}${this.mapPath(entry.url.pathname)}${entry.rawQuery}`
    return this.send(entry.method, url, entry.authorized, this.mapRequestBody(entry.requestBody), entry.clientRequestId ?? crypto.randomUUID())
  }

  // -- steps --------------------------------------------------------------------------------------

  async single(entry: RecordedEntry) {
    this.compareResponse(entry, await this.sendEntry(entry))
  }

  async poll(entries: ReadonlyArray<RecordedEntry>) {
    const first = entries[0]!
    const last = entries[entries.length - 1]!
    const allowed = new Set(entries.map((e) => e.status))
    const observed: Array<number> = []
    const deadline = Date.now() + this.options.pollTimeoutMs
    let firstSent: Sent | undefined
    let lastSent: Sent | undefined
    for (;;) {
      const sent = await this.sendEntry(first)
      observed.push(sent.status)
      firstSent ??= sent
      lastSent = sent
      if (!allowed.has(sent.status)) break
      if (sent.status === last.status || Date.now() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, this.options.pollIntervalMs))
    }
    this.polls.push({ entry: first.index, request: `${first.method} ${first.url.pathname}`, observed })
    const seq = entries.map((e) => e.status)
    if (observed[0] !== first.status) {
      this.diverge(first, "eventual consistency: first status", `${first.status} (recorded sequence ${seq.join("→")})`, observed.join("→"))
    } else {
      this.compareResponse(first, firstSent!)
    }
    if (lastSent!.status !== last.status || observed.some((s) => !allowed.has(s))) {
      this.diverge(last, "eventual consistency: final status", `${seq.join("→")} (polled until ${last.status})`, observed.join("→"))
    } else if (observed.length > 1) {
      this.compareResponse(last, lastSent!)
    }
  }

  /**
   * Paged listings are compared by page semantics, not page sizes: the service's page sizes vary
   * below the maximum (the C++ 50-item listing came back as 24,25,25,25,23,25,21), so we check that
   * every page is ≤ maxresults (default 25), the nextLink chain is absolute and ends with an explicit
   * `"nextLink": null`, every recorded item that this recording created is returned exactly once with
   * the same fields and values, and nothing else is returned (the emulator vault starts empty; the
   * recorded vaults were shared, so their foreign items are ignored).
   */
  async list(entries: ReadonlyArray<RecordedEntry>) {
    const first = entries[0]!
    const maxParam = new URLSearchParams(first.rawQuery.slice(1)).get("maxresults")
    const max = maxParam === null ? 25 : Number(maxParam)
    const recordedItems = entries.flatMap((e) => ((e.responseBody as { value?: ReadonlyArray<Record<string, unknown>> } | undefined)?.value ?? []))
    const ours = new Set(this.names)
    const recordedOwn = recordedItems.filter((item) => {
      const m = /\/(?:secrets|deletedsecrets)\/([^/]+)/.exec(new URL(String(item.id ?? item.recoveryId)).pathname)
      return m !== null && ours.has(decodeURIComponent(m[1]!))
    })
    const actualItems: Array<Record<string, unknown>> = []
    let url: string | null = `${this.target.origin}${this.mapPath(first.url.pathname)}${first.rawQuery}`
    let page = 0
    const pageLimit = this.options.pages === "recorded" ? entries.length : 200
    while (url !== null && page < pageLimit) {
      const sent: Sent = await this.send("GET", url, true, undefined, page === 0 ? (first.clientRequestId ?? crypto.randomUUID()) : crypto.randomUUID())
      if (sent.status !== first.status) {
        this.diverge(first, `page ${page} status`, first.status, `${sent.status} ${sent.text.slice(0, 300)}`)
        return
      }
      this.checkHeaders(first, sent)
      const body = sent.body as { value?: unknown; nextLink?: unknown } | undefined
      const recordedKeys = Object.keys(first.responseBody as object).sort()
      const actualKeys = Object.keys(body ?? {}).sort()
      if (JSON.stringify(recordedKeys) !== JSON.stringify(actualKeys)) {
        this.diverge(first, `page ${page} fields`, recordedKeys, actualKeys)
      }
      if (!Array.isArray(body?.value)) {
        this.diverge(first, `page ${page} $.value`, "array", body?.value)
        return
      }
      if (body.value.length > max) this.diverge(first, `page ${page} size`, `≤ ${max}`, body.value.length)
      actualItems.push(...(body.value as Array<Record<string, unknown>>))
      const next = body.nextLink
      if (next === null) {
        url = null
      } else if (typeof next === "string") {
        const n = new URL(next)
        if (n.origin !== this.target.origin || n.pathname !== new URL(url).pathname || !/api-version=/.test(n.search)) {
          this.diverge(first, `page ${page} nextLink`, `absolute ${this.target.origin}${new URL(url).pathname}?api-version=…`, next)
          return
        }
        if (maxParam !== null && n.searchParams.get("maxresults") !== maxParam) {
          this.diverge(first, `page ${page} nextLink maxresults`, maxParam, n.searchParams.get("maxresults"))
        }
        url = next
      } else {
        this.diverge(first, `page ${page} $.nextLink`, "string or explicit null", next)
        return
      }
      page++
    }
    if (url !== null && this.options.pages === "all") this.diverge(first, "nextLink chain", "terminates with null", "more than 200 pages")
    const keyOf = (item: Record<string, unknown>) => String(item.recoveryId ?? item.id)
    const actualByKey = new Map<string, Record<string, unknown>>()
    for (const item of actualItems) {
      const k = this.normActual(keyOf(item))
      if (actualByKey.has(k)) this.diverge(first, "items", "each item once", `duplicate ${k}`)
      actualByKey.set(k, item)
    }
    const matched = new Set<string>()
    for (const rec of recordedOwn) {
      const k = this.normRecorded(keyOf(rec))
      const act = actualByKey.get(k)
      if (act === undefined) {
        this.diverge(first, "items", `item ${k}`, "missing")
        continue
      }
      matched.add(k)
      this.compareObject(first, `item ${k}`, rec, act)
    }
    // Items of ours on pages the recorded client never fetched: same field shape as a recorded item.
    const ourMapped = new Set(this.names.map((n) => this.mapName(n)))
    const sample = recordedItems[0]
    for (const [k, act] of actualByKey) {
      if (matched.has(k)) continue
      const m = /\/(?:secrets|deletedsecrets)\/([^/]+)/.exec(new URL(keyOf(act)).pathname)
      const ours = m !== null && ourMapped.has(decodeURIComponent(m[1]!))
      if (!ours) {
        if (this.options.foreignItems === "reject") this.diverge(first, "items", "only items the recording created", `unexpected ${k}`)
      } else if (sample !== undefined) {
        this.compareShape(first, `item ${k} (shape vs recorded item)`, sample, act)
      }
    }
  }

  private compareShape(entry: RecordedEntry, where: string, recorded: unknown, actual: unknown) {
    if (recorded === null || typeof recorded !== "object" || Array.isArray(recorded)) return
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      this.diverge(entry, where, "an object", actual)
      return
    }
    const r = Object.keys(recorded).sort()
    const a = Object.keys(actual).sort()
    if (JSON.stringify(r) !== JSON.stringify(a)) this.diverge(entry, where, r, a)
    for (const k of r) {
      if (k in actual) this.compareShape(entry, `${where}.${k}`, (recorded as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k])
    }
  }
}

/** Replays `recording` in order against the emulator at `target`. */
export const replay = async (recording: Recording, target: ReplayTarget, options: ReplayOptions = {}): Promise<ReplayResult> => {
  const replayer = new Replayer(recording, target, {
    pollIntervalMs: options.pollIntervalMs ?? 20,
    pollTimeoutMs: options.pollTimeoutMs ?? 10_000,
    nameSuffix: options.nameSuffix ?? "-r",
    foreignItems: options.foreignItems ?? "reject",
    pages: options.pages ?? "all"
  })
  for (const step of planSteps(recording)) {
    switch (step._tag) {
      case "Single":
        await replayer.single(step.entry)
        break
      case "Poll":
        await replayer.poll(step.entries)
        break
      case "List":
        await replayer.list(step.entries)
        break
    }
  }
  return { divergences: replayer.divergences, polls: replayer.polls, requestsSent: replayer.requestsSent }
}

/** A failure message that leads with the first diverging entry. */
export const formatDivergences = (file: string, divergences: ReadonlyArray<Divergence>): string => {
  const show = (d: Divergence) =>
    `entry #${d.entry} ${d.request}\n    at ${d.where}\n    expected: ${JSON.stringify(d.expected)}\n    actual:   ${JSON.stringify(d.actual)}`
  const [head, ...rest] = divergences
  if (head === undefined) return `${file}: no divergence`
  return [
    `${file}: ${divergences.length} divergence(s); first diverging entry:`,
    `  ${show(head)}`,
    ...(rest.length > 0 ? ["  further divergences:", ...rest.slice(0, 15).map((d) => `  ${show(d)}`)] : []),
    ...(rest.length > 15 ? [`  … and ${rest.length - 15} more`] : [])
  ].join("\n")
}
