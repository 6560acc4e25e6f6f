// Light clients: raw `ws` connections that do the least a client of each server must do, so that
// the client process costs the same whatever the server is and the server is what is measured.
//
// - `ws`:      a plain WebSocket; ready on open.
// - `ps-ws`:   a plain WebSocket that waits for plugsocket's `welcome` frame (docs/protocol.md).
// - `sio`:     Engine.IO v4 / Socket.IO v5 spoken by hand: answers the open packet with a
//              namespace connect (`40`), answers pings (`2` → `3`); ready on `40{sid}`.
// - `ps-sio`:  the same, then waits for plugsocket's `welcome`, which arrives as the structured
//              event `42["l",[3,1,"…"]]` (docs/protocol.md, "Structured frames"); messages arrive as
//              `42["l",["chat",{…}]]`. Answers plugsocket's heartbeat ping `42["p"]` with its pong
//              `42["o"]`, as the real client adapter does (a client that did not would be ended
//              by the server's heartbeat after `heartbeatTimeout`).
//
// `onMessage` is called for every application message after the client is ready: `msg` frames
// for the plugsocket servers, every `42` event for raw Socket.IO, every frame for raw ws. The
// check reads single bytes; nothing is parsed. `onPing`, when given, is called for every
// heartbeat ping the client answers: a WebSocket ping (`ws`, `ps-ws`; ws answers it by itself), an
// Engine.IO ping `2` (`sio`, `ps-sio`) or plugsocket's `42["p"]` (`ps-sio`).
import { WebSocket, type RawData } from 'ws';

export type LightKind = 'ws' | 'ps-ws' | 'sio' | 'ps-sio';

const CH = {
  zero: 0x30, // '0' Engine.IO open
  two: 0x32, // '2' Engine.IO ping
  four: 0x34, // '4' Engine.IO message
  m: 0x6d, // 'm'
  l: 0x6c, // 'l'
  p: 0x70, // 'p'
  quote: 0x22, // '"'
} as const;

// Offset of the event name's first letter in `42["l",…]` and `42["p"]`.
const SIO_EVENT_AT = 4;
// plugsocket's heartbeat pong over Socket.IO (the `o` event, adapters/socket.io/socket-io-wire.ts).
const PS_SIO_PONG = '42["o"]';

// Offset of the first letter of the plugsocket kind in `{"k":"msg"`, and of the first element of
// a structured frame in `42["l",["chat"` (a quote for a message, a digit for the others).
const PS_WS_KIND_AT = 6;
const PS_SIO_HEAD_AT = 8;

export function engineUrl(port: number): string {
  return `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
}

export function openLight(
  kind: LightKind,
  port: number,
  onMessage: () => void,
  onPing?: () => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const isSio = kind === 'sio' || kind === 'ps-sio';
    const ws = new WebSocket(isSio ? engineUrl(port) : `ws://127.0.0.1:${port}/`, {
      perMessageDeflate: false,
    });
    ws.on('error', reject);
    let ready = false;
    const becomeReady = (): void => {
      ready = true;
      resolve(ws);
    };
    if (onPing !== undefined && !isSio) ws.on('ping', onPing);
    switch (kind) {
      case 'ws':
        ws.on('open', becomeReady);
        ws.on('message', onMessage);
        return;
      case 'ps-ws':
        ws.on('message', (data: RawData) => {
          const d = data as Buffer;
          if (d[PS_WS_KIND_AT] === CH.m) {
            if (ready) onMessage();
          } else if (!ready) becomeReady(); // the welcome
        });
        return;
      case 'sio':
      case 'ps-sio': {
        const ps = kind === 'ps-sio';
        let connected = false;
        ws.on('message', (data: RawData) => {
          const d = data as Buffer;
          const c0 = d[0];
          if (c0 === CH.four) {
            if (d[1] === CH.two) {
              if (!ps) {
                if (ready) onMessage();
              } else if (d[SIO_EVENT_AT] === CH.l) {
                if (d[PS_SIO_HEAD_AT] === CH.quote) {
                  if (ready) onMessage();
                } else if (!ready && connected) becomeReady(); // the welcome
              } else if (d[SIO_EVENT_AT] === CH.p) {
                ws.send(PS_SIO_PONG);
                onPing?.();
              } // `a` (the server answers close) and other control events: nothing to do
            } else if (d[1] === CH.zero) {
              connected = true;
              if (!ps) becomeReady();
            }
          } else if (c0 === CH.two) {
            ws.send('3');
            onPing?.();
          } else if (c0 === CH.zero) ws.send('40');
        });
        return;
      }
    }
  });
}

/** The private `net.Socket` under a ws WebSocket, to cork bursts of sends. */
export function netSocketOf(ws: WebSocket): { cork(): void; uncork(): void } {
  return (ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
}

/**
 * Sends `count` frames made by `next(i)` as fast as the socket takes them: in corked bursts of
 * `burst`, yielding (and calling `onPause`) while more than `highWaterMark` bytes wait to be
 * written. Resolves once the last is handed to the socket.
 */
export function pumpFrames(
  ws: WebSocket,
  options: {
    count: number;
    burst: number;
    highWaterMark: number;
    next: (i: number) => string;
    onPause?: () => void;
  },
): Promise<void> {
  const { count, burst, highWaterMark, next, onPause } = options;
  const net = netSocketOf(ws);
  let sent = 0;
  return new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < count) {
        if (ws.bufferedAmount > highWaterMark) {
          onPause?.();
          setImmediate(pump);
          return;
        }
        net.cork();
        const end = Math.min(count, sent + burst);
        for (; sent < end; sent++) ws.send(next(sent));
        net.uncork();
      }
      resolve();
    };
    pump();
  });
}
