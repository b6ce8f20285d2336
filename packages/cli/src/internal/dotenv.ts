/**
 * A small dotenv reader/writer that round-trips every string (quotes, `$`, backslashes, newlines).
 *
 * Written form: a value goes in single quotes (literal, as dotenv, Docker Compose and `sh` read them) unless it
 * contains a single quote or a line break; then in double quotes with `\\`, `\"`, `\$`, `\n` and `\r` escaped.
 * Read form: `KEY=value`, optional `export `, `#` comments, blank lines; unquoted values are trimmed and end at
 * ` #`; single-quoted values are literal; double-quoted values understand `\n \r \t \" \\ \$` and may span lines.
 */
import * as Either from "effect/Either"

/** @internal */
export interface DotenvError {
  readonly line: number
  readonly message: string
}

const quote = (value: string): string =>
  !/['\r\n]/.test(value)
    ? `'${value}'`
    : `"${value.replace(/[\\"$\n\r]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\${c}`))}"`

/** @internal */
export const format = (entries: ReadonlyArray<readonly [key: string, value: string]>): string =>
  entries.map(([key, value]) => `${key}=${quote(value)}\n`).join("")

const keyPattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/
const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", "\"": "\"", "\\": "\\", $: "$" }

/**
 * Entries in file order; a later duplicate key wins, as in dotenv. Errors carry the 1-based line and never the
 * value (a malformed line may be a secret).
 * @internal
 */
export const parse = (text: string): Either.Either<Array<[string, string]>, DotenvError> => {
  const out = new Map<string, string>()
  let i = 0
  let line = 1
  const n = text.length
  const fail = (message: string) => Either.left({ line, message })
  while (i < n) {
    // One logical entry per iteration.
    while (i < n && (text[i] === " " || text[i] === "\t")) i++
    if (i >= n) break
    if (text[i] === "\n" || text[i] === "\r") {
      if (text[i] === "\r" && text[i + 1] === "\n") i++
      i++
      line++
      continue
    }
    if (text[i] === "#") {
      while (i < n && text[i] !== "\n") i++
      continue
    }
    const eq = text.indexOf("=", i)
    const eol = text.indexOf("\n", i)
    if (eq === -1 || (eol !== -1 && eol < eq)) return fail("expected KEY=value")
    let key = text.slice(i, eq).trim()
    if (key.startsWith("export ") || key.startsWith("export\t")) key = key.slice(7).trim()
    if (!keyPattern.test(key)) return fail("invalid variable name")
    i = eq + 1
    while (i < n && (text[i] === " " || text[i] === "\t")) i++
    let value = ""
    const startLine = line
    if (text[i] === "'") {
      const end = text.indexOf("'", i + 1)
      if (end === -1) return fail("unterminated single quote")
      value = text.slice(i + 1, end)
      line += (value.match(/\n/g) ?? []).length
      i = end + 1
    } else if (text[i] === "\"") {
      i++
      let closed = false
      while (i < n) {
        const c = text[i]
        if (c === "\"") {
          closed = true
          i++
          break
        }
        if (c === "\\" && i + 1 < n && escapes[text[i + 1]] !== undefined) {
          value += escapes[text[i + 1]]
          i += 2
          continue
        }
        if (c === "\n") line++
        value += c
        i++
      }
      if (!closed) return Either.left({ line: startLine, message: "unterminated double quote" })
    } else {
      let end = i
      while (end < n && text[end] !== "\n" && text[end] !== "\r") end++
      const raw = text.slice(i, end)
      const comment = raw.search(/\s#/)
      value = (comment === -1 ? raw : raw.slice(0, comment)).trim()
      i = end
      out.set(key, value)
      continue
    }
    // After a quoted value: only spaces and an optional comment may follow on the line.
    while (i < n && (text[i] === " " || text[i] === "\t")) i++
    if (i < n && text[i] === "#") while (i < n && text[i] !== "\n") i++
    if (i < n && text[i] !== "\n" && text[i] !== "\r") return fail("unexpected text after the closing quote")
    out.set(key, value)
  }
  return Either.right(Array.from(out))
}
