/**
 * Starts the emulator CLI in a child process, so the server's CPU time is never mixed with the
 * client's (on a 2-core box the two then mostly run on separate cores).
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

export interface EmulatorProcess {
  readonly url: string
  readonly ca: string
  readonly pid: number
  readonly stop: () => Promise<void>
}

/** `node --import tsx` is what the `tsx` CLI does, minus its extra relay process. */
export const startEmulator = (): Promise<EmulatorProcess> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", path.join(repoRoot, "packages/emulator/src/bin.ts"), "--port", "0"],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } }
    )
    let out = ""
    let err = ""
    const timer = setTimeout(() => fail(new Error(`emulator did not start within 60 s\n${out}${err}`)), 60_000)
    const fail = (e: Error) => {
      clearTimeout(timer)
      child.kill("SIGKILL")
      reject(e)
    }
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString()
    })
    child.on("exit", (code) => fail(new Error(`emulator exited early (code ${code})\n${out}${err}`)))
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      const url = /listening at (\S+)/.exec(out)?.[1]
      const pem = /Certificate \(PEM\): (\S+)/.exec(out)?.[1]
      if (url === undefined || pem === undefined) return
      clearTimeout(timer)
      child.removeAllListeners("exit")
      const ca = fs.readFileSync(pem, "utf8")
      resolve({
        url,
        ca,
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once("exit", () => done())
            child.kill("SIGTERM")
            // A clean stop takes milliseconds; never leave a server behind.
            setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
          })
      })
    })
  })
