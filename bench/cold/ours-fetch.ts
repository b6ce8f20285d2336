// Cold start: ours on FetchHttpClient (global fetch), deep imports.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Credential from "../../packages/secrets/src/Credential.js"
import * as SecretClient from "../../packages/secrets/src/SecretClient.js"
import { readOne } from "../cold-read-one.js"

readOne(SecretClient, Credential, FetchHttpClient.layer)
