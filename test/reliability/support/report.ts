/**
 * The reliability-suite contract: sizes from `RELIABILITY_FULL`, figures written to
 * `<RELIABILITY_OUT>/<suite>.json` for `pnpm reliability` to render into docs/reliability.md.
 */
import * as fs from "node:fs"
import * as path from "node:path"

export type Size = "small" | "full"

/** `full` under `pnpm reliability` (RELIABILITY_FULL=1), `small` in `pnpm test`. */
export const size: Size = process.env.RELIABILITY_FULL === "1" ? "full" : "small"

/** Pick the small or the full figure for a parameter. */
export const sized = <A>(small: A, full: A): A => size === "full" ? full : small

export interface SuiteReport {
  readonly suite: string
  readonly title: string
  readonly figures: Readonly<Record<string, number | string>>
  readonly notes?: ReadonlyArray<string>
}

/** Write `<RELIABILITY_OUT>/<suite>.json` when the runner asked for it; a no-op in `pnpm test`. */
export const writeReport = (report: SuiteReport): void => {
  const out = process.env.RELIABILITY_OUT
  if (out === undefined || out === "") return
  fs.mkdirSync(out, { recursive: true })
  const json = { suite: report.suite, title: report.title, size, figures: report.figures, notes: report.notes ?? [] }
  fs.writeFileSync(path.join(out, `${report.suite}.json`), JSON.stringify(json, null, 2) + "\n")
}

/** A share as a percentage string with two decimals, e.g. "97.31 %". */
export const percent = (part: number, whole: number): string =>
  whole === 0 ? "n/a" : `${((100 * part) / whole).toFixed(2)} %`
