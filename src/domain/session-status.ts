/** The five statuses of the Wawp v2 session lifecycle (docs/http-api.md "Wawp routes"). */
export const SESSION_STATUSES = ['STOPPED', 'STARTING', 'SCAN_QR_CODE', 'WORKING', 'FAILED'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** The statuses that need a connection, hence a node running the instance (docs/multi-node.md). */
export const needsConnection = (status: string): boolean =>
  status === 'STARTING' || status === 'SCAN_QR_CODE' || status === 'WORKING';

/** Reasons carried by every status change (docs/http-api.md "Wawp routes" lists these; more may be added, never renamed). */
export type StatusReason =
  | 'created'
  | 'start_requested'
  | 'restart_requested'
  | 'qr_ready'
  | 'connected'
  | 'stop_requested'
  | 'logout_requested'
  | 'device_removed'
  | 'connection_replaced'
  | 'connection_lost'
  | 'qr_timeout'
  | 'restart_limit'
  | 'identity_mismatch'
  | 'boot_restore'
  | 'certificate_invalid'
  | 'start_timeout'
  | 'pairing_failed'
  | 'node_lost'
  | (string & {});
