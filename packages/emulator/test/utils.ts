import * as https from "node:https"

export const VAULT = "https://emulator.vault.azure.net"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

export type Send = (method: string, path: string, init?: {
  readonly body?: unknown
  readonly rawBody?: string
  readonly auth?: string | null
  readonly headers?: Record<string, string>
}) => Promise<Reply>

const toReply = async (res: Response): Promise<Reply> => {
  const text = await res.text()
  let json: unknown = undefined
  try {
    json = text === "" ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

const buildInit = (method: string, init: Parameters<Send>[2] = {}): RequestInit => {
  const headers: Record<string, string> = { ...init.headers }
  if (init.auth !== null) headers["authorization"] = init.auth ?? "Bearer test-token"
  let body: string | undefined
  if (init.rawBody !== undefined) body = init.rawBody
  else if (init.body !== undefined) body = JSON.stringify(init.body)
  if (body !== undefined) headers["content-type"] = "application/json"
  return { method, headers, ...(body !== undefined ? { body } : {}) }
}

/** Calls an in-process web handler. */
export const viaHandler = (handler: (r: Request) => Promise<Response>, base = VAULT): Send => (method, path, init) =>
  handler(new Request(`${base}${path}`, buildInit(method, init))).then(toReply)

/** Calls a socket server with global fetch (plain HTTP). */
export const viaFetch = (base: string): Send => (method, path, init) =>
  fetch(`${base}${path}`, buildInit(method, init)).then(toReply)

/** Calls an HTTPS server trusting only the given certificate, per request (TLS stays on process-wide). */
export const viaHttps = (base: string, ca: string): Send => (method, path, init) =>
  new Promise((resolve, reject) => {
    const ri = buildInit(method, init)
    const body = ri.body as string | undefined
    const req = https.request(`${base}${path}`, {
      method,
      ca,
      headers: { ...(ri.headers as Record<string, string>), ...(body !== undefined ? { "content-length": Buffer.byteLength(body).toString() } : {}) }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const headers = new Headers()
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v)
        void toReply(new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), { status: res.statusCode!, headers })).then(resolve)
      })
    })
    req.on("error", reject)
    if (body !== undefined) req.write(body)
    req.end()
  })

export const q = (v = "7.5") => `api-version=${v}`
