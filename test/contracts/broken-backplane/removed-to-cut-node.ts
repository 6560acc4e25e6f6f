import { MemoryBackplane } from 'plugsocket';

/**
 * Flaw: a gone node's removed entries are handed to the first survivor the cluster knows, whether
 * or not its link is up (the cluster asks each node whether it is linked, and this one always says
 * yes): with that survivor cut off, no node learns what was removed.
 */
export class RemovedToCutNodeBackplane extends MemoryBackplane {
  override get _linked(): boolean {
    return true;
  }
}
