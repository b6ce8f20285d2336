/** Kept in step with package.json by the CLI test. */
export const version = "0.1.0"
