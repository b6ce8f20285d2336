/**
 * The emulator CLI as a child process: one node process with the tsx loader (no wrapper process), so a
 * signal sent to it reaches the server itself.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const bin = path.join(root, "packages/emulator/src/bin.ts")

export interface Running {
  readonly child: ChildProcess
  /** e.g. "http://127.0.0.1:40123" */
  readonly url: string
  /** Resolves with the signal that ended the process, or its exit code. */
  readonly exited: Promise<NodeJS.Signals | number | null>
}

/** Start `bin.ts --http --port 0 [args…]` and resolve once it prints its URL. */
export const startEmulator = (args: ReadonlyArray<string> = []): Promise<Running> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", bin, "--http", "--port", "0", ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    const exited = new Promise<NodeJS.Signals | number | null>((done) =>
      child.on("exit", (code, signal) => done(signal ?? code))
    )
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString()
      const url = /listening at (\S+)/.exec(stdout)?.[1]
      if (url !== undefined) resolve({ child, url, exited })
    })
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
    child.on("exit", () => reject(new Error(`emulator exited before listening: ${stderr}`)))
  })
