// Cold start: the official SDK, plain promises. BENCH_URL = vault URL; TLS trust via NODE_EXTRA_CA_CERTS.
import { SecretClient } from "@azure/keyvault-secrets"

const credential = { getToken: async () => ({ token: "bench-token", expiresOnTimestamp: Date.now() + 3_600_000 }) }
const client = new SecretClient(process.env.BENCH_URL!, credential, { disableChallengeResourceVerification: true })
client.getSecret("bench-00000").then((s) => {
  console.log(s.value)
  process.exit(0)
}, (e) => {
  console.error(e)
  process.exit(1)
})
