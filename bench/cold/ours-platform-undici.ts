// Cold start: ours on @effect/platform-node NodeHttpClient.layerUndici, imported through its barrel.
import { NodeHttpClient } from "@effect/platform-node"
import * as Credential from "../../packages/secrets/src/Credential.js"
import * as SecretClient from "../../packages/secrets/src/SecretClient.js"
import { readOne } from "../cold-read-one.js"

readOne(SecretClient, Credential, NodeHttpClient.layerUndici)
