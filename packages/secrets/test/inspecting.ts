/**
 * Test helpers for "nothing leaks": a Tracer that records a deep inspection of every span attribute, event
 * and exit (at the moment the span ends, inside the fiber, and again later, outside any fiber, the way a
 * batching exporter serialises), a logger that records every log line at LogLevel.All, and the printing
 * surfaces of a value.
 */
import { Cause, Effect, Layer, Logger, LogLevel, Tracer } from "effect"
import type * as Exit from "effect/Exit"
import * as util from "node:util"

export const deepInspect = (u: unknown): string =>
  util.inspect(u, { depth: Infinity, showHidden: true, getters: true, maxArrayLength: Infinity, maxStringLength: Infinity })

const safeJson = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? ""
  } catch (e) {
    return `unserialisable: ${String(e)}`
  }
}

/** Every common way of turning `u` into text: String, deep util.inspect, JSON, `.message`, Cause.pretty. */
export const surfaces = (label: string, u: unknown): Array<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = [
    [`${label}: String`, (() => {
      try {
        return String(u)
      } catch (e) {
        return `unprintable: ${String(e)}`
      }
    })()],
    [`${label}: inspect`, deepInspect(u)],
    [`${label}: JSON`, safeJson(u)]
  ]
  if (typeof u === "object" && u !== null && "message" in u) out.push([`${label}: message`, String(u.message)])
  if (Cause.isCause(u)) out.push([`${label}: Cause.pretty`, Cause.pretty(u, { renderErrorCause: true })])
  return out
}

export interface Recorder {
  /** [where, text] pairs recorded so far. */
  readonly records: Array<readonly [string, string]>
  /** Exits kept for a second, later inspection outside any fiber. */
  readonly exits: Array<readonly [string, Exit.Exit<unknown, unknown>]>
  readonly spanNames: Array<string>
  /** Re-inspect every kept exit now (call outside the program). */
  readonly inspectLater: () => void
}

/** A Tracer (wrapping the native one) that records everything a tracing exporter could see. */
export const inspectingTracer = (): { readonly tracer: Tracer.Tracer; readonly recorder: Recorder } => {
  const records: Array<readonly [string, string]> = []
  const exits: Array<readonly [string, Exit.Exit<unknown, unknown>]> = []
  const spanNames: Array<string> = []
  const native = Effect.runSync(Effect.tracer)
  const tracer = Tracer.make({
    context: (f, fiber) => native.context(f, fiber),
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = native.span(name, parent, context, links, startTime, kind, options)
      spanNames.push(name)
      records.push([`span ${name}: links`, deepInspect(links)])
      const attribute = span.attribute.bind(span)
      const event = span.event.bind(span)
      const end = span.end.bind(span)
      span.attribute = (key, value) => {
        records.push([`span ${name}: attribute ${key}`, deepInspect(value)])
        attribute(key, value)
      }
      span.event = (eventName, time, attributes) => {
        records.push([`span ${name}: event ${eventName}`, deepInspect(attributes) + eventName])
        event(eventName, time, attributes)
      }
      span.end = (endTime, exit) => {
        for (const [k, v] of span.attributes) records.push([`span ${name}: attribute ${k} (at end)`, deepInspect(v)])
        for (const [label, text] of surfaces(`span ${name}: exit`, exit)) records.push([label, text])
        if (exit._tag === "Failure") records.push([`span ${name}: Cause.pretty`, Cause.pretty(exit.cause)])
        exits.push([name, exit])
        end(endTime, exit)
      }
      return span
    }
  })
  const inspectLater = () => {
    for (const [name, exit] of exits) {
      for (const [label, text] of surfaces(`span ${name}: exit (later, outside a fiber)`, exit)) {
        records.push([label, text])
      }
    }
  }
  return { tracer, recorder: { records, exits, spanNames, inspectLater } }
}

/** Records every log line (message and cause) at LogLevel.All. */
export const capturingLogger = () => {
  const lines: Array<readonly [string, string]> = []
  const logger = Logger.make((options) => {
    lines.push([`log ${options.logLevel.label}`, deepInspect(options.message)])
    if (!Cause.isEmpty(options.cause)) {
      lines.push([`log ${options.logLevel.label}: cause`, Cause.pretty(options.cause, { renderErrorCause: true })])
    }
    for (const [k, v] of options.annotations) lines.push([`log annotation ${k}`, deepInspect(v)])
    lines.push([`log spans`, deepInspect([...options.spans].map((s) => s.label))])
  })
  const layer = Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All))
  return { lines, layer }
}

/** Where `needles` appear in `records` (empty when nothing leaked). */
export const leaksIn = (
  records: ReadonlyArray<readonly [string, string]>,
  needles: ReadonlyArray<string>
): Array<string> => {
  const out: Array<string> = []
  for (const [where, text] of records) {
    for (const needle of needles) if (text.includes(needle)) out.push(`${where} contains '${needle.slice(0, 8)}…'`)
  }
  return out
}
