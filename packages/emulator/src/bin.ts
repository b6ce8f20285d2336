#!/usr/bin/env node
/**
 * CLI: `pnpm emulator [--port N] [--http] [--token T] [--data FILE]`.
 * Prints the vault URL (and the certificate PEM path for HTTPS) once ready; stops on SIGINT/SIGTERM.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import * as Emulator from "./Emulator.js"

const usage = `Usage: pnpm emulator [--port N] [--http] [--token T] [--data FILE] [--host H]

  --port N      port to listen on (default: a free port)
  --host H      interface to bind (default: 127.0.0.1)
  --http        plain HTTP instead of HTTPS with a self-signed certificate
  --token T     accept only "Authorization: Bearer T" (default: any bearer token)
  --data FILE   keep the vault state in FILE (crash-safe writes) so it survives restarts
  --help        show this help
`

const parse = () => {
  try {
    return parseArgs({
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        http: { type: "boolean", default: false },
        token: { type: "string" },
        data: { type: "string" },
        help: { type: "boolean", default: false }
      }
    }).values
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${usage}`)
    process.exit(2)
  }
}

const main = async () => {
  const args = parse()
  if (args.help) {
    process.stdout.write(usage)
    return
  }
  const port = args.port === undefined ? 0 : Number(args.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`Invalid --port: ${args.port}\n\n${usage}`)
    process.exit(2)
  }
  const server = await Emulator.startServer({
    port,
    tls: !args.http,
    ...(args.host !== undefined ? { host: args.host } : {}),
    ...(args.token !== undefined ? { token: args.token } : {}),
    ...(args.data !== undefined ? { dataFile: args.data } : {})
  })
  let certPath: string | undefined
  let removeCertOnExit = false
  if (server.certificatePem !== undefined) {
    // Written where each client can trust it explicitly; TLS is never disabled process-wide.
    certPath = args.data !== undefined
      ? `${args.data}.cert.pem`
      : path.join(os.tmpdir(), `effect-keyvault-emulator-${new URL(server.url).port}.pem`)
    fs.writeFileSync(certPath, server.certificatePem)
    removeCertOnExit = args.data === undefined
  }
  process.stdout.write(`Key Vault emulator listening at ${server.url}\n`)
  if (certPath !== undefined) process.stdout.write(`Certificate (PEM): ${certPath}\n`)
  let closing = false
  const stop = () => {
    if (closing) return
    closing = true
    // A fresh certificate is made at every start, so a temp-dir PEM is stale once we stop.
    if (removeCertOnExit && certPath !== undefined) fs.rmSync(certPath, { force: true })
    server.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
}

main().catch((e) => {
  process.stderr.write(`Failed to start the emulator: ${(e as Error).message}\n`)
  process.exit(1)
})
