/**
 * Runs the emulator's command line (`src/bin.ts` through tsx) as a child process, as a user would, and reads
 * the URL and certificate path from its first stdout lines.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const bin = path.join(root, "packages/emulator/src/bin.ts")

export interface CliRun {
  readonly child: ChildProcess
  /** resolves once the whole banner is printed: URL, PEM path (HTTPS), setup snippet */
  readonly ready: Promise<{ url: string; cert: string | undefined }>
  readonly exited: Promise<number | null>
  readonly output: () => { stdout: string; stderr: string }
  /** SIGTERM, then the exit code */
  readonly stop: () => Promise<number | null>
}

export const runCli = (args: ReadonlyArray<string>): CliRun => {
  // `node --import tsx` rather than the tsx binary: one Node process instead of two.
  const child = spawn(process.execPath, ["--import", "tsx", bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()))
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const ready = new Promise<{ url: string; cert: string | undefined }>((resolve, reject) => {
    // The banner ends with this line; the URL and PEM path are its first two lines.
    const check = () => {
      if (!stdout.includes("Press Ctrl+C to stop.")) return
      const lines = stdout.split("\n")
      const url = /^Key Vault emulator listening at (\S+)$/.exec(lines[0] ?? "")?.[1]
      const cert = /^Certificate \(PEM\): (.+)$/.exec(lines[1] ?? "")?.[1]
      if (url === undefined) reject(new Error(`unexpected banner: ${stdout}`))
      else resolve({ url, cert: url.startsWith("https:") ? cert : undefined })
    }
    child.stdout!.on("data", check)
    child.on("exit", (code) => reject(new Error(`exited early (${code}): ${stderr}`)))
  })
  ready.catch(() => undefined)
  const stop = () => {
    child.kill("SIGTERM")
    return exited
  }
  return { child, ready, exited, output: () => ({ stdout, stderr }), stop }
}
