// Preloaded (`node -r`) into the cold-start programs by bench/cold-phases.ts: timestamps (ms since the process
// started) of every request sent / response head received (undici, fetch and node:http via diagnostics_channel)
// and every TLS connection opened, written to stderr as one `@@events <json>` line at the first stdout write.
const dc = require("node:diagnostics_channel")
const tls = require("node:tls")
const events = []
const mark = (kind) => () => events.push([kind, performance.now()])
dc.subscribe("undici:request:create", mark("request"))
dc.subscribe("undici:request:headers", mark("response"))
dc.subscribe("http.client.request.start", mark("request"))
dc.subscribe("http.client.response.finish", mark("response"))
const connect = tls.connect
tls.connect = function(...args) {
  events.push(["connect", performance.now()])
  return connect.apply(this, args)
}
const write = process.stdout.write.bind(process.stdout)
let written = false
process.stdout.write = (...args) => {
  if (!written) {
    written = true
    events.push(["stdout", performance.now()])
    process.stderr.write(`@@events ${JSON.stringify(events)}\n`)
  }
  return write(...args)
}
