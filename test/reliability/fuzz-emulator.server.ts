/**
 * The emulator under fuzzing, in its own process (started by fuzz-emulator.test.ts with `--expose-gc`), so a
 * crash is seen as an exit and its memory is measured apart from the fuzzer's. Talks to the parent over IPC:
 * it sends `{ url, tlsUrl, ca }` once listening (a plain-HTTP and an HTTPS emulator); it answers "memory" with `process.memoryUsage()` after a full GC and
 * "stop" by closing the server and exiting.
 */
import { Emulator } from "@effect-keyvault/emulator"
import { Effect } from "effect"

const TOKEN = process.env.FUZZ_TOKEN ?? "fuzz-token"

const main = async () => {
  const emulator = await Emulator.startServer({ tls: false, token: TOKEN })
  // A certificate-backed secret (two certificate versions): only the engine can create one.
  await Effect.runPromise(emulator.engine.seed([
    { name: "seed-cert", value: "pfx-1", contentType: "application/x-pkcs12", managed: true, kid: "k1" },
    { name: "seed-cert", value: "pfx-2", contentType: "application/x-pkcs12", managed: true, kid: "k2" }
  ]))
  process.on("message", (m: unknown) => {
    if (m === "memory") {
      ;(globalThis as { gc?: () => void }).gc?.()
      process.send!({ memory: process.memoryUsage() })
    }
    if (m === "stop") void Promise.all([emulator.close(), secure.close()]).then(() => process.exit(0))
  })
  // A TLS emulator next to it, for garbage and plaintext sent to an HTTPS port.
  const secure = await Emulator.startServer({ token: TOKEN })
  process.send!({ url: emulator.url, tlsUrl: secure.url, ca: secure.certificatePem })
}

void main()
