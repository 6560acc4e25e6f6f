import type {
  AbstractSocket,
  AbstractSocketServer,
  TransportCapabilities,
} from '../../../src/index.js';
import {
  MemorySocket,
  MemorySocketServer,
  type MemorySocketServerOptions,
} from '../../../adapters/memory/index.js';
import { AbortLeakSocket } from './abort-leaks-connection.js';
import { ActivityPongServer } from './activity-as-pong.js';
import { HeldAddressServer } from './address-held-after-close.js';
import { AuthInQueryServer, AuthInQuerySocket } from './auth-in-query.js';
import { Binary64kServer } from './binary-64k-cap.js';
import { BomStrippingServer } from './bom-strip.js';
import { BroadcastLaneServer } from './broadcast-lane.js';
import { BytesWrittenServer } from './bytes-written-as-backlog.js';
import { ChunkDecodingServer } from './chunk-split-utf8.js';
import { AsyncEncodingSocket, ClosePriorityServer } from './close-overtakes-data.js';
import { CrlfNormalizingSocket } from './crlf-normalize.js';
import { DeafWhileClosingServer, DeafWhileClosingSocket } from './deaf-while-closing.js';
import { DefaultReasonSocket } from './default-reason.js';
import { FrameDroppingSocket } from './drop-frame.js';
import { DoubleDeliveringSocket } from './double-deliver.js';
import { LostEarlyCloseSocket } from './early-close-lost.js';
import { EarlyOpeningSocket } from './early-open.js';
import { ErrorOnRemoteCloseSocket, ErrorOnVanishServer } from './error-on-close.js';
import { EscapedLimitServer } from './escaped-size-limit.js';
import { FffdRejectingServer } from './fffd-rejected.js';
import { FlatAuthServer } from './flat-auth.js';
import { HandshakePerAddressServer } from './handshake-per-address.js';
import { PathOnlyUrlServer } from './handshake-url-path-only.js';
import { HangingCloseServer } from './hanging-close.js';
import { CodeIgnoringServer, CodeIgnoringSocket } from './ignore-close-codes.js';
import { InitiatorCodeServer, InitiatorCodeSocket } from './initiator-code.js';
import { JsonSniffingSocket } from './json-sniffed-kind.js';
import { KindQueuesServer } from './kind-queues.js';
import { Latin1FastPathSocket } from './large-text-latin1-fastpath.js';
import { Latin1Server } from './latin1-text.js';
import { LazyBroadcastServer } from './lazy-broadcast-copy.js';
import { LazyCopySocket } from './lazy-send-copy.js';
import { LeakOnTerminateSocket } from './leak-on-terminate.js';
import { LenientArraysSocket } from './lenient-arrays.js';
import { ListenerLeakingSocket } from './leak-listeners.js';
import { LimitEqualsMaxPayloadServer } from './limit-equals-maxpayload.js';
import { PercentEncodingSocket } from './lone-surrogate-throws.js';
import { ManifestMismatchServer } from './manifest-mismatch.js';
import { NewlineSplittingServer } from './newline-split.js';
import { NulTruncatingSocket } from './nul-truncate.js';
import { PoisonedAfterFailureSocket } from './poisoned-after-failure.js';
import { PongOnceServer } from './pong-once.js';
import { LastPingedServer } from './pong-last-pinged.js';
import { ProtoQueryServer } from './proto-query-lost.js';
import { DoubleDecodingServer } from './query-double-decode.js';
import { LastWinsSocket } from './query-last-wins.js';
import { QueueCapServer } from './queue-cap-1024.js';
import { ReasonCapServer } from './reason-cap-32.js';
import { Latin1ReasonSocket } from './reason-latin1.js';
import { ReorderingSocketServer } from './reorder-frames.js';
import { ScratchReceiveSocket } from './scratch-receive-grow.js';
import { MinorityPathServer } from './sendmany-minority-path.js';
import { Seq16Socket } from './seq16-wrap.js';
import { SevenBitSocket } from './seven-bit-binary.js';
import { ShutdownCodeServer, ShutdownTerminatesServer } from './shutdown-close.js';
import { SilentPingServer } from './silent-ping.js';
import { SilentClientPingSocket } from './silent-client-ping.js';
import { StuckBufferedAmountSocket } from './stuck-buffered-amount.js';
import { SilentRemoteCloseSocket } from './silent-remote-close.js';
import { StaleCloseSocket } from './stale-close-after-terminate.js';
import { StickyConnectedServer } from './sticky-connected.js';
import { StickyHandshakeSocket } from './sticky-handshake.js';
import { StickyUrlSocket } from './sticky-url.js';
import { JsonTextServer, JsonTextSocket } from './structured-as-text.js';
import { FlatteningSocket } from './structured-flattened.js';
import {
  STRUCTURED_MEMORY_CAPABILITIES,
  StructuredMemorySocket,
  StructuredMemorySocketServer,
} from './structured-memory.js';
import { FastCarryServer } from './structured-nonfinite-kept.js';
import { ArraySniffingSocket } from './text-as-structured.js';
import { ThrowingSendSocket } from './throwing-send.js';
import { NdjsonSocket } from './u2028-line-split.js';
import { UnacknowledgedDisconnectSocket } from './unacknowledged-disconnect.js';
import { UnnoticedVanishServer } from './unnoticed-vanish.js';
import { ViewTailServer } from './view-tail.js';
import { WholeBufferSocket } from './whole-backing-buffer.js';
import { XHeadersOnlyServer } from './x-headers-only.js';

/** A server/client pair of the memory adapter with (at most) one flaw built in. */
export interface AdapterVariant {
  /**
   * Makes a server. `options.name` binds it to a given memory address, which the suite's
   * `createServerAt` uses to listen again where a closed server was.
   */
  createServer(options?: MemorySocketServerOptions): AbstractSocketServer;
  createClient(): AbstractSocket;
  /** The manifest the suite is given for this variant. @default MEMORY_CAPABILITIES */
  supports?: TransportCapabilities;
}

type ServerFactory = (options?: MemorySocketServerOptions) => AbstractSocketServer;

const server: ServerFactory = (options) => new MemorySocketServer(options);
const client = (): AbstractSocket => new MemorySocket();
const structuredServer: ServerFactory = (options) => new StructuredMemorySocketServer(options);
const structuredClient = (): AbstractSocket => new StructuredMemorySocket();

/** A variant whose flaw is in the client; the server is the memory adapter's. */
const flawedClient = (createClient: () => AbstractSocket): AdapterVariant => ({
  createServer: server,
  createClient,
});

/** A variant whose flaw is in the server; the client is the memory adapter's. */
const flawedServer = (createServer: ServerFactory): AdapterVariant => ({
  createServer,
  createClient: client,
});

/**
 * Every variant the contract suite is run against, by name. `reference` is the unmodified memory
 * adapter, the control: the suite must pass it, skipping only tests gated on what its manifest or
 * setup lacks (`[supports.structured]`, `[supports.faults]`). `reference-structured` is the memory
 * adapter declaring `structured` and carrying arrays correctly, the control of the structured
 * variants: the suite must pass it, skipping only tests gated on its setup. Every other entry has
 * one flaw, described in the header of its file and in `EXPECTED` of ../broken-adapters.test.ts.
 */
export const ADAPTER_VARIANTS = {
  reference: { createServer: server, createClient: client },
  'reference-structured': {
    createServer: structuredServer,
    createClient: structuredClient,
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },

  // Frames: delivery, order, text and binary content.
  'drop-frame': flawedClient(() => new FrameDroppingSocket()),
  'reorder-frames': flawedServer((o) => new ReorderingSocketServer(o)),
  'latin1-text': flawedServer((o) => new Latin1Server(o)),
  'seven-bit-binary': flawedClient(() => new SevenBitSocket()),
  'throwing-send': flawedClient(() => new ThrowingSendSocket()),
  'nul-truncate': flawedClient(() => new NulTruncatingSocket()),
  'lone-surrogate-throws': flawedClient(() => new PercentEncodingSocket()),
  'chunk-split-utf8': flawedServer((o) => new ChunkDecodingServer(o)),
  'crlf-normalize': flawedClient(() => new CrlfNormalizingSocket()),
  'newline-split': flawedServer((o) => new NewlineSplittingServer(o)),
  'u2028-line-split': flawedClient(() => new NdjsonSocket()),
  'bom-strip': flawedServer((o) => new BomStrippingServer(o)),
  'fffd-rejected': flawedServer((o) => new FffdRejectingServer(o)),
  'large-text-latin1-fastpath': flawedClient(() => new Latin1FastPathSocket()),

  // Sizes, long streams and back-pressure.
  'seq16-wrap': flawedClient(() => new Seq16Socket()),
  'queue-cap-1024': flawedServer((o) => new QueueCapServer(o)),
  'binary-64k-cap': flawedServer((o) => new Binary64kServer(o)),
  'limit-equals-maxpayload': flawedServer((o) => new LimitEqualsMaxPayloadServer(o)),
  'escaped-size-limit': flawedServer((o) => new EscapedLimitServer(o)),
  'bytes-written-as-backlog': flawedServer((o) => new BytesWrittenServer(o)),

  // Binary views, copies and kinds.
  'whole-backing-buffer': flawedClient(() => new WholeBufferSocket()),
  'view-tail': flawedServer((o) => new ViewTailServer(o)),
  'lazy-send-copy': flawedClient(() => new LazyCopySocket()),
  'lazy-broadcast-copy': flawedServer((o) => new LazyBroadcastServer(o)),
  'json-sniffed-kind': flawedClient(() => new JsonSniffingSocket()),
  'kind-queues': flawedServer((o) => new KindQueuesServer(o)),
  'scratch-receive-grow': flawedClient(() => new ScratchReceiveSocket()),

  // Broadcast paths.
  'sendmany-minority-path': flawedServer((o) => new MinorityPathServer(o)),
  'broadcast-lane': flawedServer((o) => new BroadcastLaneServer(o)),

  // Opening.
  'early-open': flawedClient(() => new EarlyOpeningSocket()),
  'manifest-mismatch': flawedServer((o) => new ManifestMismatchServer(o)),

  // Closing: events, codes and reasons, frames around a close, releasing the transport.
  'silent-remote-close': flawedClient(() => new SilentRemoteCloseSocket()),
  'sticky-connected': flawedServer((o) => new StickyConnectedServer(o)),
  'ignore-close-codes': {
    createServer: (o) => new CodeIgnoringServer(o),
    createClient: () => new CodeIgnoringSocket(),
  },
  'hanging-close': flawedServer((o) => new HangingCloseServer(o)),
  'unacknowledged-disconnect': flawedClient(() => new UnacknowledgedDisconnectSocket()),
  'unnoticed-vanish': flawedServer((o) => new UnnoticedVanishServer(o)),
  'reason-latin1': flawedClient(() => new Latin1ReasonSocket()),
  'reason-cap-32': flawedServer((o) => new ReasonCapServer(o)),
  'default-reason': flawedClient(() => new DefaultReasonSocket()),
  'initiator-code-client': flawedClient(() => new InitiatorCodeSocket()),
  'initiator-code-server': flawedServer((o) => new InitiatorCodeServer(o)),
  'shutdown-code-fixed': flawedServer((o) => new ShutdownCodeServer(o)),
  'shutdown-terminates': flawedServer((o) => new ShutdownTerminatesServer(o)),
  'close-overtakes-data-client': flawedClient(() => new AsyncEncodingSocket()),
  'close-overtakes-data-server': flawedServer((o) => new ClosePriorityServer(o)),
  'deaf-while-closing-client': flawedClient(() => new DeafWhileClosingSocket()),
  'deaf-while-closing-server': flawedServer((o) => new DeafWhileClosingServer(o)),
  'early-close-lost': flawedClient(() => new LostEarlyCloseSocket()),
  'address-held-after-close': flawedServer((o) => new HeldAddressServer(o)),
  'error-on-remote-close': flawedClient(() => new ErrorOnRemoteCloseSocket()),
  'error-on-vanish': flawedServer((o) => new ErrorOnVanishServer(o)),

  // Liveness.
  'silent-ping': flawedServer((o) => new SilentPingServer(o)),
  'silent-client-ping': flawedClient(() => new SilentClientPingSocket()),
  'stuck-buffered-amount': flawedClient(() => new StuckBufferedAmountSocket()),
  'pong-last-pinged': flawedServer((o) => new LastPingedServer(o)),
  'pong-once': flawedServer((o) => new PongOnceServer(o)),
  'activity-as-pong': flawedServer((o) => new ActivityPongServer(o)),

  // Handshake.
  'flat-auth': flawedServer((o) => new FlatAuthServer(o)),
  'query-double-decode': flawedServer((o) => new DoubleDecodingServer(o)),
  'query-last-wins': flawedClient(() => new LastWinsSocket()),
  'handshake-url-path-only': flawedServer((o) => new PathOnlyUrlServer(o)),
  'proto-query-lost': flawedServer((o) => new ProtoQueryServer(o)),
  'auth-in-query': {
    createServer: (o) => new AuthInQueryServer(o),
    createClient: () => new AuthInQuerySocket(),
  },
  'x-headers-only': flawedServer((o) => new XHeadersOnlyServer(o)),
  'handshake-per-address': flawedServer((o) => new HandshakePerAddressServer(o)),

  // Connecting again.
  'double-deliver': flawedClient(() => new DoubleDeliveringSocket()),
  'leak-listeners': flawedClient(() => new ListenerLeakingSocket()),
  'sticky-url': flawedClient(() => new StickyUrlSocket()),
  'sticky-handshake': flawedClient(() => new StickyHandshakeSocket()),
  'poisoned-after-failure': flawedClient(() => new PoisonedAfterFailureSocket()),
  'abort-leaks-connection': flawedClient(() => new AbortLeakSocket()),
  'leak-on-terminate': flawedClient(() => new LeakOnTerminateSocket()),
  'stale-close-after-terminate': flawedClient(() => new StaleCloseSocket()),

  // Structured frames.
  'structured-as-text': {
    createServer: (o) => new JsonTextServer(o),
    createClient: () => new JsonTextSocket(),
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },
  'structured-flattened': {
    createServer: structuredServer,
    createClient: () => new FlatteningSocket(),
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },
  'text-as-structured': {
    createServer: structuredServer,
    createClient: () => new ArraySniffingSocket(),
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },
  'lenient-arrays': flawedClient(() => new LenientArraysSocket()),
  'structured-nonfinite-kept': {
    createServer: (o) => new FastCarryServer(o),
    createClient: structuredClient,
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },
} satisfies Record<string, AdapterVariant>;

/** The name of one variant. */
export type AdapterVariantName = keyof typeof ADAPTER_VARIANTS;

/** The environment variable the fixture reads the variant name from. */
export const VARIANT_ENV = 'PLUGSOCKET_CONTRACT_VARIANT';
