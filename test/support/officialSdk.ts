/**
 * Helpers for driving the official `@azure/keyvault-secrets` SDK against the emulator.
 */
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets"

/** A `TokenCredential` that always hands out the same token (the emulator's `token` option). */
export const fixedCredential = (token: string) => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 })
})

export interface Exchange {
  readonly method: string
  readonly url: string
  readonly status: number
  readonly authorized: boolean
}

/**
 * A client plus a log of every HTTP exchange its pipeline makes (a per-retry policy sees the real
 * wire requests, including the 401 challenge probe and every poll), so tests can assert that pollers
 * actually polled and which api-version went out.
 */
export const makeClient = (
  emulator: { readonly url: string; readonly certificatePem?: string | undefined },
  token: string,
  options: SecretClientOptions = {}
): { readonly client: SecretClient; readonly log: Array<Exchange> } => {
  const log: Array<Exchange> = []
  const https = emulator.url.startsWith("https:")
  const client = new SecretClient(emulator.url, fixedCredential(token), {
    disableChallengeResourceVerification: true,
    ...(https ? { tlsOptions: { ca: emulator.certificatePem } } : { allowInsecureConnection: true }),
    // The official pipeline's default retry waits ~seconds on 5xx/408; errors here must surface at once.
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [
      {
        position: "perRetry",
        policy: {
          name: "conformance-exchange-log",
          sendRequest: async (request, next) => {
            const response = await next(request)
            log.push({ method: request.method, url: request.url, status: response.status, authorized: request.headers.has("authorization") })
            return response
          }
        }
      }
    ],
    ...options
  })
  return { client, log }
}

/** Runs `f` and returns the error it rejects with (fails if it resolves). */
export const rejection = async (f: () => Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> => {
  try {
    await f()
  } catch (e) {
    return e as { statusCode?: number; code?: string; message: string }
  }
  throw new Error("expected the call to reject, but it resolved")
}

let counter = 0
/** Unique secret names per test run (the emulator is shared within a describe block). */
export const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`
