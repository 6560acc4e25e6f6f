// Breaks: a close reason is "`''` when none was given" (src/ports/types.ts `CloseInfo.reason`).
// Flaw: the client fills in the status text, `'Normal Closure'`, when the application gave no
// reason.
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client sends 'Normal Closure' as the reason of a close without one. */
export class DefaultReasonSocket extends MemorySocket {
  protected override doClose(code: number, reason: string): void {
    super.doClose(code, reason === '' ? 'Normal Closure' : reason);
  }
}
