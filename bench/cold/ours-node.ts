// Cold start: ours on @effect/platform-node's NodeHttpClient over node:https with a keep-alive agent (deep import).
// NodeHttpClient.layer's own agent does not keep connections alive: a TLS handshake per request. Not a cold-start
// program of bench/extras.ts; bench/bundle.ts and bench/cold-phases.ts measure it.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"
import * as Credential from "../../packages/secrets/src/Credential.js"
import * as SecretClient from "../../packages/secrets/src/SecretClient.js"
import { readOne } from "../cold-read-one.js"

readOne(SecretClient, Credential, NodeHttpClient.layerWithoutAgent.pipe(Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))))
