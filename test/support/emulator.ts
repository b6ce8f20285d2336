/**
 * Starts the emulator for one test (plain HTTP on 127.0.0.1 unless asked otherwise) as a scoped
 * resource, so every test gets a fresh, empty vault and the server is always closed.
 */
import { Emulator } from "@effect-keyvault/emulator"
import { Effect } from "effect"

export const TOKEN = "conformance-token"

export type StartOptions = Parameters<typeof Emulator.startServer>[0]
export type Running = Awaited<ReturnType<typeof Emulator.startServer>>

export const start = (options: StartOptions): Effect.Effect<Running, never, import("effect").Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => Emulator.startServer({ host: "127.0.0.1", token: TOKEN, ...options })),
    (emulator) => Effect.promise(() => Promise.resolve(emulator.close()))
  )
