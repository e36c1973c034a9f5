import type { Socket } from 'node:net';

/**
 * Resets `socket` (RST, as a pulled cable) unless its graceful shutdown has begun, and destroys it then.
 * libuv refuses a reset while a shutdown is pending (`uv_tcp_close_reset` answers EINVAL), and Node then never
 * closes the handle: the socket emits no 'close', and the process spins forever in its exit-time cleanup. A socket
 * shuts down gracefully as soon as its peer's FIN arrives (`allowHalfOpen` is off), so a proxy that resets
 * connections meets this whenever a client hangs up first.
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
