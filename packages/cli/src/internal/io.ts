/** Terminal and file I/O of the commands: stdout/stderr, stdin, files that may hold secret values. */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { CommandError, UsageError } from "../CliError.js"

/** @internal */
export const stdout = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stdout.write(text))

/** @internal */
export const stderr = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stderr.write(text))

/** One line to stdout. @internal */
export const line = (text: string): Effect.Effect<void> => stdout(`${text}\n`)

/** All of stdin (for `set` without `--file`). @internal */
export const readStdin: Effect.Effect<string, CommandError> = Effect.tryPromise({
  try: async () => {
    const chunks: Array<Buffer> = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString("utf8")
  },
  catch: (e) => new CommandError({ message: `cannot read stdin: ${(e as Error).message}` })
})

/** @internal */
export const readFile = (file: string): Effect.Effect<Buffer, UsageError> =>
  Effect.tryPromise({
    try: () => fs.promises.readFile(file),
    catch: (e) => new UsageError({ message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })
  })

/**
 * Write a file that may hold secret values: owner-only permissions (0600), never over an existing file unless
 * `force`, and all or nothing (temp file in the same directory, then rename).
 * @internal
 */
export const writeSecretFile = (
  file: string,
  data: string | Uint8Array,
  force: boolean
): Effect.Effect<void, CommandError> =>
  Effect.tryPromise({
    try: async () => {
      if (!force && fs.existsSync(file)) throw new CommandError({ message: `${file} exists; pass --force to replace it` })
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)
      const handle = await fs.promises.open(temp, "wx", 0o600)
      try {
        await handle.writeFile(data)
        await handle.sync()
      } finally {
        await handle.close()
      }
      try {
        if (!force && fs.existsSync(file)) throw new CommandError({ message: `${file} exists; pass --force to replace it` })
        await fs.promises.rename(temp, file)
      } catch (e) {
        await fs.promises.rm(temp, { force: true })
        throw e
      }
    },
    catch: (e) =>
      e instanceof CommandError
        ? e
        : new CommandError({ message: `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })
  })

/**
 * Progress lines on stderr, shown when stderr is a terminal or `--progress` is given. On a terminal a line
 * overwrites the previous one.
 * @internal
 */
export interface Progress {
  readonly update: (text: string) => Effect.Effect<void>
  readonly done: Effect.Effect<void>
}

/** @internal */
export const progress = (forced: boolean): Progress => {
  const tty = process.stderr.isTTY === true
  if (!tty && !forced) return { update: () => Effect.void, done: Effect.void }
  let last = 0
  let shown = false
  return {
    update: (text) =>
      Effect.sync(() => {
        const now = Date.now()
        // At most ~10 updates a second on a terminal; every update when forced into a pipe or file.
        if (tty && now - last < 100) return
        last = now
        shown = true
        process.stderr.write(tty ? `\r\x1b[2K${text}` : `${text}\n`)
      }),
    done: Effect.sync(() => {
      if (tty && shown) process.stderr.write("\r\x1b[2K")
    })
  }
}
