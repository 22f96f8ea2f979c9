/**
 * Forwarding calls between the nodes of a cluster (docs/multi-node.md "Forwarding"): the signature of the internal
 * channel, the HTTP client that relays, and the hooks that decide, for every instance route, where a call runs.
 */
export { registerForwarding, forwardedFrom, ownerLostWhile, type ForwardingDeps } from './forwarding.ts';
export {
  FORWARD_HEADERS,
  FORWARD_WINDOW_MS,
  clusterSecret,
  signForward,
  verifyForward,
  type ForwardCheck,
  type ForwardRefusal,
} from './forward-signature.ts';
