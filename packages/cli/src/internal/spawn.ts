/**
 * Run a program with extra environment variables and return its exit code. Hand-written over
 * `node:child_process` rather than `@effect/platform`'s Command because `run` must behave like the program
 * itself: inherit the terminal, exit with its code (128 + n when killed by signal n), and on SIGTERM/SIGINT
 * to us pass the signal on and wait for the program instead of killing it outright.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as os from "node:os"
import { CommandError } from "../CliError.js"

/** @internal */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Effect.Effect<number, CommandError> =>
  Effect.async<number, CommandError>((resume) => {
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(command, args, { stdio: "inherit", env: { ...process.env, ...env } })
    } catch (e) {
      // e.g. a value with a NUL byte; the message names the variable, never the value.
      const code = (e as NodeJS.ErrnoException).code
      resume(Effect.fail(new CommandError({ message: `cannot start ${command}: ${code ?? "invalid environment"}` })))
      return
    }
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
      if (settled) return
      settled = true
      const signalNumber = signal === null ? 0 : (os.constants.signals as Record<string, number>)[signal] ?? 0
      resume(Effect.succeed(code ?? 128 + signalNumber))
    })
    // Interrupted (SIGINT/SIGTERM to us): pass SIGTERM on and wait for the program to finish.
    return Effect.async<void>((done) => {
      if (settled || child.exitCode !== null || child.signalCode !== null) return done(Effect.void)
      child.once("exit", () => done(Effect.void))
      child.kill("SIGTERM")
    })
  })
