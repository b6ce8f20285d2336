/**
 * Run a program with extra environment variables and return its exit code. Hand-written over
 * `node:child_process` rather than `@effect/platform`'s Command because `run` must behave like the program
 * itself: inherit the terminal, exit with its code (128 + n when killed by signal n), and pass SIGINT/SIGTERM
 * on to it and wait for it (as tini or dumb-init do) instead of killing it; see {@link forwardSignal}.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as os from "node:os"
import { CommandError } from "../CliError.js"

let running: ReturnType<typeof spawn> | undefined

/**
 * Pass a signal that reached this process on to the program started by `run`, if one is running. Returns false
 * when there is none (then the signal interrupts the command as usual).
 * @internal
 */
export const forwardSignal = (signal: NodeJS.Signals): boolean => {
  const child = running
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return false
  child.kill(signal)
  return true
}

/** @internal */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Effect.Effect<number, CommandError> =>
  Effect.async<number, CommandError>((resume) => {
    const withNul = Object.keys(env).find((key) => env[key].includes("\0"))
    if (withNul !== undefined) {
      resume(Effect.fail(new CommandError({ message: `the value of ${withNul} contains a NUL byte, which an environment variable cannot hold` })))
      return
    }
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(command, args, { stdio: "inherit", env: { ...process.env, ...env } })
    } catch (e) {
      // Report the error code only: Node's messages about options may quote environment values.
      const code = (e as NodeJS.ErrnoException).code
      resume(Effect.fail(new CommandError({ message: `cannot start ${command}: ${code ?? "invalid environment"}` })))
      return
    }
    running = child
    let settled = false
    child.once("error", (e: NodeJS.ErrnoException) => {
      if (settled) return
      settled = true
      resume(Effect.fail(
        e.code === "ENOENT"
          ? new CommandError({ message: `command not found: ${command}`, exitCode: 127 })
          : new CommandError({ message: `cannot start ${command}: ${e.code ?? e.message}`, exitCode: 126 })
      ))
    })
    child.once("exit", (code, signal) => {
      if (running === child) running = undefined
      if (settled) return
      settled = true
      const signalNumber = signal === null ? 0 : (os.constants.signals as Record<string, number>)[signal] ?? 0
      resume(Effect.succeed(code ?? 128 + signalNumber))
    })
    // Interrupted some other way: stop the program and wait for it.
    return Effect.async<void>((done) => {
      if (settled || child.exitCode !== null || child.signalCode !== null) return done(Effect.void)
      child.once("exit", () => done(Effect.void))
      child.kill("SIGTERM")
    })
  })
