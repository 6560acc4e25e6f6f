import type {
  AnyFrame,
  Frame,
  ServerConnection,
  TransportCapabilities,
} from '../../../src/index.js';
import {
  MEMORY_CAPABILITIES,
  MemorySocket,
  MemorySocketServer,
} from '../../../adapters/memory/index.js';

/** The memory manifest with `structured` declared: what the structured variants are tested against. */
export const STRUCTURED_MEMORY_CAPABILITIES: TransportCapabilities = Object.freeze({
  ...MEMORY_CAPABILITIES,
  structured: true,
});

/**
 * Copies a frame as a network of JSON values would carry it: an array through JSON, so the
 * receiver shares nothing with the sender and gets what JSON carries (a Date as its ISO string,
 * NaN as null), as the port requires of a structured transport; binary into a new buffer; text as
 * it is.
 */
export function carry(frame: AnyFrame): AnyFrame {
  if (Array.isArray(frame)) return JSON.parse(JSON.stringify(frame)) as AnyFrame;
  return frame instanceof Uint8Array ? new Uint8Array(frame) : frame;
}

/**
 * Frames on their way, by the ticket that travels in their place. The memory adapter's hooks are
 * typed for text and binary and turn anything that is not a string into a `Uint8Array` copy, so
 * the structured pair hands the memory adapter a ticket (a string, which it moves unchanged,
 * in order, and drops with the connection it belongs to) and the receiving side redeems it for
 * the frame. Every frame of the pair goes this way, so no frame is ever mistaken for a ticket.
 */
const onTheirWay = new Map<string, AnyFrame>();
let issued = 0;

function ticketFor(frame: AnyFrame): Frame {
  const ticket = `structured-memory frame ${++issued}`;
  onTheirWay.set(ticket, frame);
  return ticket;
}

function redeem(ticket: Frame): Frame {
  const frame = typeof ticket === 'string' ? onTheirWay.get(ticket) : undefined;
  if (frame === undefined) throw new Error(`structured memory: no frame for ${String(ticket)}`);
  onTheirWay.delete(ticket as string);
  // Typed as the memory adapter's hooks are; an array reaches the `message` event unchanged.
  return frame as Frame;
}

/**
 * The memory server declaring `structured` and carrying arrays as arrays: the control the
 * structured variants are measured against (the suite must pass it). The hooks take `AnyFrame`,
 * as an adapter declaring `structured` extends `AbstractSocketServer<N, AnyFrame>`.
 */
export class StructuredMemorySocketServer extends MemorySocketServer {
  override readonly supports: TransportCapabilities = STRUCTURED_MEMORY_CAPABILITIES;

  /** How a frame is copied on its way to a client. @see carry */
  protected carry(frame: AnyFrame): AnyFrame {
    return carry(frame);
  }

  protected override doSend(peer: MemorySocket, frame: AnyFrame): void {
    super.doSend(peer, ticketFor(this.carry(frame)));
  }

  protected override emitMessage(connection: ServerConnection<MemorySocket>, frame: Frame): void {
    super.emitMessage(connection, redeem(frame));
  }
}

/** The client half of {@link StructuredMemorySocketServer}. */
export class StructuredMemorySocket extends MemorySocket {
  override readonly supports: TransportCapabilities = STRUCTURED_MEMORY_CAPABILITIES;

  /** How a frame is copied on its way to the server. @see carry */
  protected carry(frame: AnyFrame): AnyFrame {
    return carry(frame);
  }

  protected override doSend(frame: AnyFrame): void {
    super.doSend(ticketFor(this.carry(frame)));
  }

  protected override emitMessage(frame: Frame): void {
    super.emitMessage(redeem(frame));
  }
}
