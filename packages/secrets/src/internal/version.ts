/** Kept in step with package.json by the SecretClient test. */
export const packageVersion = "0.1.0"

/** The user-agent token this package adds after any user prefix. */
export const userAgentToken = `effect-keyvault/${packageVersion}`
