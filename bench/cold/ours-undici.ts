// Cold start: ours on this package's undici transport (deep imports, as the README recommends).
import * as Credential from "../../packages/secrets/src/Credential.js"
import * as SecretClient from "../../packages/secrets/src/SecretClient.js"
import * as UndiciHttpClient from "../../packages/secrets/src/UndiciHttpClient.js"
import { readOne } from "../cold-read-one.js"

readOne(SecretClient, Credential, UndiciHttpClient.layer)
