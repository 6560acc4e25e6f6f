// What the test process and a node process (./node-process.ts) say to each other over IPC
// (`serialization: 'advanced'`, so Maps and plain objects cross as they are).

/** A client's principal on every node: its `user` query parameter. */
export interface User {
  readonly id: string;
}

/** The cluster questions a node answers with `server.cluster`. */
export type ClusterQuery =
  | 'nodes'
  | 'getClients'
  | 'getClient'
  | 'getSubscribers'
  | 'topicSizes'
  | 'getTopicSize'
  | 'getUserClients'
  | 'isOnline';

/** A command without its id, as the test writes it. */
export type CommandBody =
  | { op: 'broadcast'; type: string; payload: unknown; except?: string | string[] }
  | { op: 'sendToSubscribers'; topic: string; type: string; payload: unknown; except?: string[] }
  | { op: 'emitTo'; topics: string[]; except?: string[]; type: string; payload: unknown }
  | { op: 'sendToClient'; clientId: string; type: string; payload: unknown }
  | { op: 'sendToUser'; user: string; type: string; payload: unknown }
  | { op: 'request'; clientId: string; name: string; payload: unknown; timeout?: number }
  | { op: 'requestTopic'; topic: string; name: string; payload: unknown; timeout?: number }
  | { op: 'disconnect'; clientId: string; code?: number; reason?: string }
  | { op: 'stream'; topic: string; type: string; count: number; intervalMs: number }
  | { op: 'cluster'; query: ClusterQuery; arg?: string }
  | { op: 'localClients' }
  | { op: 'events'; since?: number }
  | { op: 'metrics' }
  | { op: 'backplaneStats' }
  | { op: 'shutdown' };

/** A command as it travels: numbered, so its reply finds it. */
export type Command = CommandBody & { readonly id: number };

/** A cluster event (or a connection event) a node recorded, in order. */
export interface RecordedEvent {
  readonly seq: number;
  readonly at: number;
  readonly event:
    | 'join'
    | 'leave'
    | 'online'
    | 'offline'
    | 'state'
    | 'nodeGone'
    | 'connection'
    | 'disconnection'
    | 'trace';
  readonly detail: Record<string, unknown>;
}

/** Something that went wrong (or was worth a warning) in a node. */
export interface Fault {
  readonly kind: 'uncaughtException' | 'unhandledRejection' | 'serverError' | 'warn' | 'error';
  readonly node: string;
  readonly message: string;
  readonly at: number;
  readonly detail?: Record<string, unknown> | undefined;
}

/** What a node process sends. */
export type ChildMessage =
  | { type: 'ready'; nodeId: string; url: string; port: number }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: { message: string; code?: string | undefined } }
  | { type: 'fault'; fault: Fault }
  | { type: 'trace'; event: RecordedEvent }
  | { type: 'stopping' }
  | { type: 'stopped'; ms: number };
