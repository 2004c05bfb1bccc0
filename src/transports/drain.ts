// What the HTTP and gRPC servers share when they drain.

/**
 * How long after a listener closes its open connections still take requests before being closed
 * (HTTP: idle keep-alive sockets; gRPC: GOAWAY), so that a request sent just before the close, still
 * in the network or unread in the kernel while the event loop was busy, is read and answered.
 */
export const DRAIN_SETTLE_MS = 1000;
