// ours-fetch imported through the package index (`import { Credential, SecretClient } from "@effect-keyvault/secrets"`)
// instead of deep imports. esbuild keeps every export of a namespace re-exported with `export * as`, so this shows what
// an index import costs a bundle. Not a cold-start program of bench/extras.ts; bench/bundle.ts measures it.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Credential, SecretClient } from "../../packages/secrets/src/index.js"
import { readOne } from "../cold-read-one.js"

readOne(SecretClient, Credential, FetchHttpClient.layer)
