import type { ResumeOutcome } from './resume.js';
import type { AnyFrame } from '../ports/types.js';
import type { ClientState } from './client-notifications.js';
import type { ClientHeartbeat } from './heartbeat.js';

/** A snapshot of a client's connection: `client.getConnectionInfo()`. */
export interface ClientConnectionInfo {
  /** The client's state. */
  readonly state: ClientState;
  /** The id the server assigned; undefined before the first welcome. */
  readonly id: string | undefined;
  /**
   * The principal id the server admitted this connection as (`welcome`'s `user`); undefined
   * before the first welcome, or when the server did not say.
   */
  readonly principal: string | undefined;
  /** When the current connection was admitted (`Date.now()`); undefined while not open. */
  readonly connectedAt: number | undefined;
  /** When the client's heartbeat last pinged the server; undefined before the first ping. */
  readonly lastPing: number | undefined;
  /** When the last pong arrived; undefined before the first. */
  readonly lastPong: number | undefined;
  /** The round trip of the last answered heartbeat ping, in ms; undefined before the first. */
  readonly latency: number | undefined;
  /** The attempt number of the reconnect in progress (from 1), or 0 when not reconnecting. */
  readonly reconnectAttempts: number;
  /** The bytes the transport holds that are not yet on the network. */
  readonly bufferedAmount: number;
  /**
   * What the last connect did to the session: `{ resumed: true }`, or `{ resumed: false, reason }`
   * (see `ResumeOutcome`); undefined before the first welcome.
   */
  readonly session: ResumeOutcome | undefined;
  /** Frames this client sent that the server has not yet acknowledged, kept to send again on resume. */
  readonly unacknowledged: number;
}

/** A client's counters since it was made: `client.getMetrics()`. */
export interface ClientMetricsSnapshot {
  /** Application messages sent (`send`, `emit`), counted when handed to the transport. */
  readonly messagesSent: number;
  /** Application messages received from the server. */
  readonly messagesReceived: number;
  /** Requests this client made (to the server or, through it, to other clients). */
  readonly requestsSent: number;
  /**
   * Bytes of every frame handed to the transport, protocol frames included: text counted in
   * UTF-16 code units (its length), binary in bytes. Structured frames (a transport with
   * `supports.structured`) are not measured, as that would cost a walk of each one.
   */
  readonly bytesSent: number;
  /** Bytes of every frame received, counted as {@link bytesSent} is. */
  readonly bytesReceived: number;
  /** Mean round trip of the heartbeat pings answered, in ms; undefined before the first. */
  readonly averageLatency: number | undefined;
  /** Milliseconds the current connection has been open; 0 while not open. */
  readonly uptime: number;
  /** Connections opened again after a lost one (successful reconnects). */
  readonly reconnectionCount: number;
  /** Errors reported on `onError`. */
  readonly errorCount: number;
  /** Frames waiting: in the offline queue, and held back by `maxRate`. */
  readonly queued: number;
}

/** The size of a frame for the byte counters: text length, binary bytes, structured 0. */
export function frameBytes(frame: AnyFrame): number {
  if (typeof frame === 'string') return frame.length;
  return Array.isArray(frame) ? 0 : (frame as Uint8Array).byteLength;
}

/** @internal The client's counters: plain fields, incremented on the hot path. */
export class ClientCounters {
  messagesSent = 0;
  messagesReceived = 0;
  requestsSent = 0;
  bytesSent = 0;
  bytesReceived = 0;
  reconnectionCount = 0;
  /** When the current connection opened, or -1. */
  openedAt = -1;
}

/** @internal What `getConnectionInfo()` reads. */
export interface ConnectionFacts {
  readonly state: ClientState;
  readonly id: string | undefined;
  readonly principal: string | undefined;
  readonly counters: ClientCounters;
  readonly heartbeat: ClientHeartbeat | undefined;
  readonly reconnectAttempts: number;
  readonly bufferedAmount: number;
  readonly session: ResumeOutcome | undefined;
  readonly unacknowledged: number;
}

/** @internal The snapshot of `getConnectionInfo()`. */
export function connectionInfo(facts: ConnectionFacts): ClientConnectionInfo {
  const { heartbeat, counters } = facts;
  return Object.freeze({
    state: facts.state,
    id: facts.id,
    principal: facts.principal,
    connectedAt: counters.openedAt >= 0 ? counters.openedAt : undefined,
    lastPing: heartbeat?.lastPing,
    lastPong: heartbeat?.lastPong,
    latency: heartbeat === undefined || heartbeat.rtt < 0 ? undefined : heartbeat.rtt,
    reconnectAttempts: facts.reconnectAttempts,
    bufferedAmount: facts.bufferedAmount,
    session: facts.session,
    unacknowledged: facts.unacknowledged,
  });
}

/** @internal The snapshot of `getMetrics()`. */
export function metricsSnapshot(
  counters: ClientCounters,
  heartbeat: ClientHeartbeat | undefined,
  open: boolean,
  errorCount: number,
  queued: number,
): ClientMetricsSnapshot {
  const c = counters;
  return Object.freeze({
    messagesSent: c.messagesSent,
    messagesReceived: c.messagesReceived,
    requestsSent: c.requestsSent,
    bytesSent: c.bytesSent,
    bytesReceived: c.bytesReceived,
    averageLatency:
      heartbeat === undefined || heartbeat.rttCount === 0
        ? undefined
        : heartbeat.rttSum / heartbeat.rttCount,
    uptime: open && c.openedAt >= 0 ? Date.now() - c.openedAt : 0,
    reconnectionCount: c.reconnectionCount,
    errorCount,
    queued,
  });
}
