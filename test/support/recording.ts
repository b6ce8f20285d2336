/**
 * Loads the real service recordings in `test/fixtures/recordings/{js,cpp}` into one entry model.
 *
 * The two producers store traffic differently: the JS test proxy keeps request bodies and the 401
 * challenge probe; the C++ recorder keeps neither (it bypassed the challenge and dropped request
 * bodies), so for C++ entries the request body is derived from the recorded response — the only
 * body that makes the service answer with exactly that response.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures")
export const recordingsDir = path.join(fixturesDir, "recordings")

export interface RecordedEntry {
  readonly index: number
  readonly method: string
  /** Absolute recorded URL, exactly as recorded (sanitised host). */
  readonly url: URL
  /** Raw query string including the leading `?` (kept verbatim: `$skiptoken`, encodings). */
  readonly rawQuery: string
  /** Whether the recorded request carried `Authorization` (JS: `Sanitized`; C++: always). */
  readonly authorized: boolean
  /** `undefined` means no request body was sent (e.g. the empty-body challenge probe). */
  readonly requestBody: unknown
  /** True when the body was reconstructed from the response (C++ recordings). */
  readonly bodyDerived: boolean
  readonly clientRequestId: string | undefined
  readonly status: number
  /** Lower-cased header names. */
  readonly responseHeaders: Readonly<Record<string, string>>
  /** `undefined` means no response body. */
  readonly responseBody: unknown
}

export interface Recording {
  readonly file: string
  readonly flavour: "js" | "cpp"
  readonly entries: ReadonlyArray<RecordedEntry>
}

const lowerKeys = (headers: Record<string, unknown>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = String(v)
  return out
}

const rawQueryOf = (uri: string): string => {
  const i = uri.indexOf("?")
  return i === -1 ? "" : uri.slice(i)
}

interface JsEntry {
  RequestUri: string
  RequestMethod: string
  RequestHeaders: Record<string, string>
  RequestBody: unknown
  StatusCode: number
  ResponseHeaders: Record<string, string>
  ResponseBody: unknown
}

const loadJs = (file: string, raw: { Entries: ReadonlyArray<JsEntry> }): Recording => ({
  file,
  flavour: "js",
  entries: raw.Entries.map((e, index) => {
    const headers = lowerKeys(e.RequestHeaders)
    return {
      index,
      method: e.RequestMethod,
      url: new URL(e.RequestUri),
      rawQuery: rawQueryOf(e.RequestUri),
      authorized: headers["authorization"] !== undefined,
      requestBody: e.RequestBody === null ? undefined : e.RequestBody,
      bodyDerived: false,
      clientRequestId: headers["x-ms-client-request-id"],
      status: e.StatusCode,
      responseHeaders: lowerKeys(e.ResponseHeaders),
      responseBody: e.ResponseBody === null || e.ResponseBody === "" ? undefined : e.ResponseBody
    }
  })
})

interface CppEntry {
  Method: string
  Url: string
  Headers: Record<string, string>
  Response: Record<string, string>
}

const pickDefined = (o: Record<string, unknown>, keys: ReadonlyArray<string>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k]
  return out
}

/** The request body that yields the recorded C++ response (the C++ format does not store bodies). */
const deriveCppBody = (
  method: string,
  pathname: string,
  response: Record<string, unknown> | undefined,
  lastBackupBlob: string | undefined
): unknown => {
  if (method === "PUT" && response !== undefined) {
    const attributes = pickDefined((response.attributes ?? {}) as Record<string, unknown>, ["nbf", "exp"])
    if ((response.attributes as Record<string, unknown> | undefined)?.enabled === false) attributes.enabled = false
    return { ...pickDefined(response, ["value", "contentType", "tags"]), attributes }
  }
  if (method === "PATCH" && response !== undefined) {
    const attributes = pickDefined((response.attributes ?? {}) as Record<string, unknown>, ["enabled", "nbf", "exp"])
    return { ...pickDefined(response, ["contentType", "tags"]), attributes }
  }
  if (method === "POST" && pathname === "/secrets/restore") return { value: lastBackupBlob }
  return undefined
}

const loadCpp = (file: string, raw: { networkCallRecords: ReadonlyArray<CppEntry> }): Recording => {
  let lastBackupBlob: string | undefined
  const entries = raw.networkCallRecords.map((e, index): RecordedEntry => {
    const url = new URL(e.Url)
    const bodyText = e.Response.BODY ?? ""
    const responseBody = bodyText === "" ? undefined : JSON.parse(bodyText)
    const { BODY: _b, REASON_PHRASE: _r, STATUS_CODE, ...headers } = e.Response
    const status = Number(STATUS_CODE)
    const requestBody = deriveCppBody(e.Method, url.pathname, responseBody, lastBackupBlob)
    if (e.Method === "POST" && url.pathname.endsWith("/backup") && status === 200) {
      lastBackupBlob = (responseBody as { value: string }).value
    }
    return {
      index,
      method: e.Method,
      url,
      rawQuery: rawQueryOf(e.Url),
      authorized: true,
      requestBody,
      bodyDerived: requestBody !== undefined,
      clientRequestId: lowerKeys(e.Headers)["x-ms-client-request-id"],
      status,
      responseHeaders: lowerKeys(headers),
      responseBody
    }
  })
  return { file, flavour: "cpp", entries }
}

export const loadRecording = (flavour: "js" | "cpp", file: string): Recording => {
  const raw = JSON.parse(fs.readFileSync(path.join(recordingsDir, flavour, file), "utf8"))
  return flavour === "js" ? loadJs(file, raw) : loadCpp(file, raw)
}

export const listRecordings = (flavour: "js" | "cpp"): ReadonlyArray<string> =>
  fs.readdirSync(path.join(recordingsDir, flavour)).filter((f) => f.endsWith(".json")).sort()
