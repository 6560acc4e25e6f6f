// The parts of session resume both sides must agree on (docs/protocol.md, "Session resume").

/**
 * The query parameter by which a client asks for a resumable session: the token of the session
 * to resume, or {@link NEW_SESSION} for a new one. A client that does not send it gets a session
 * that ends with its connection (no token, no log, no counting), as before resume existed.
 */
export const RESUME_PARAM = 'plugsocket-resume';
/** The value of {@link RESUME_PARAM} that asks for a new resumable session. */
export const NEW_SESSION = 'new';
/** The query parameter that carries how many stream frames it processed in that session. */
export const RECEIVED_PARAM = 'plugsocket-received';

/** Stream frames a side takes between two `got` frames it sends. */
export const GOT_EVERY = 32;

/**
 * True when a close with `code` ends the session at once instead of leaving it to be resumed: a
 * close one side meant — normal closure (1000), unacceptable data (1003), a policy (1008), a frame
 * too large (1009), a missing extension (1010) — and every library or application code
 * (3000–4999: kicks, refused or expired credentials, rate limits). Any other close (1006 above
 * all: a connection dropped or terminated, a heartbeat timeout, a slow consumer; 1001 from a
 * server going away) leaves the session to be resumed within the window.
 */
export function endsSession(code: number): boolean {
  return (
    code === 1000 ||
    code === 1003 ||
    code === 1008 ||
    code === 1009 ||
    code === 1010 ||
    (code >= 3000 && code <= 4999)
  );
}

/** True when a frame of `kind` takes a position in its sender's stream (undefined: undecodable). */
export function isStreamKind(kind: unknown): boolean {
  return kind !== 'welcome' && kind !== 'ping' && kind !== 'pong' && kind !== 'got';
}
