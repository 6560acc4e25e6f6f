import type { AnyFrame, CloseInfo } from '../../../src/index.js';
import { TcpSocket } from '../../../examples/tcp-adapter/index.js';

/**
 * Flaw: the client keeps the last frame it sent and, when its connection was lost (1006), sends
 * it again as soon as the next connection opens, in case it never arrived: an "at least once"
 * retry at the transport, which the port does not promise (a frame is delivered on the
 * connection it was sent on, or not at all). A reconnect after a clean close sends nothing
 * extra; only a reconnect after a cut shows the duplicate.
 */
export class ResendAfterCutSocket extends TcpSocket {
  #last: AnyFrame | undefined;
  #lost = false;

  override send(frame: AnyFrame): boolean {
    const sent = super.send(frame);
    if (sent) this.#last = frame;
    return sent;
  }

  protected override emitClose(info: CloseInfo): void {
    if (this.state === 'open' || this.state === 'closing') this.#lost = info.code === 1006;
    super.emitClose(info);
  }

  protected override emitOpen(): void {
    super.emitOpen();
    const last = this.#last;
    if (this.#lost && last !== undefined && this.isOpen) {
      this.#lost = false;
      super.send(last);
    }
  }
}
