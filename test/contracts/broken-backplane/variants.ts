// The memory backplanes the backplane contract runs against in ../broken-backplane.test.ts: the
// unmodified MemoryCluster and one that differs only where the port leaves it free (the controls),
// and variants that each break one promise of the port.
import { MemoryBackplane, MemoryCluster, type Backplane, type SessionStore } from 'plugsocket';
import type { BackplaneContractOptions } from 'plugsocket/contracts';
import { EchoingBackplane } from './echo-to-self.js';
import { GoneTwiceBackplane } from './gone-twice.js';
import { JsonDataBackplane } from './json-data.js';
import { OfflineEveryEntryBackplane } from './offline-every-entry.js';
import { EarlyOpenBackplane } from './open-resolves-early.js';
import { AlwaysChangedBackplane } from './presence-always-changed.js';
import { ProtoLosingBackplane } from './proto-key-lost.js';
import { BroadcastingPublishToBackplane } from './publish-to-all.js';
import { LaneReorderingBackplane } from './publish-to-lane.js';
import { RemovedToCutNodeBackplane } from './removed-to-cut-node.js';
import { NonAtomicTakeStore, TtlIgnoringStore } from './session-stores.js';
import { SharedPacketBackplane } from './shared-packet.js';
import { EntriesKeptOnCloseBackplane, NoCrashCleanupCluster } from './stale-after-leave.js';
import { TopicsReversedBackplane, TopicsReversedStore } from './topics-reordered.js';

/** How a variant's clusters are made: which cluster, which node class, which session store. */
interface VariantParts {
  readonly Cluster?: typeof MemoryCluster;
  readonly Node?: new (cluster: MemoryCluster) => MemoryBackplane;
  readonly Store?: new () => SessionStore;
  /** Leave out the crash, cut and restore hooks (the gated tests are then skipped). */
  readonly noFaultHooks?: true;
}

const PARTS = {
  reference: {},
  'reference-no-fault-hooks': { noFaultHooks: true },
  'reference-topics-reversed': { Node: TopicsReversedBackplane, Store: TopicsReversedStore },
  'echo-to-self': { Node: EchoingBackplane },
  'publish-to-lane': { Node: LaneReorderingBackplane },
  'json-data': { Node: JsonDataBackplane },
  'publish-to-all': { Node: BroadcastingPublishToBackplane },
  'presence-always-changed': { Node: AlwaysChangedBackplane },
  'no-crash-cleanup': { Cluster: NoCrashCleanupCluster },
  'entries-kept-on-close': { Node: EntriesKeptOnCloseBackplane },
  'gone-twice': { Node: GoneTwiceBackplane },
  'take-not-atomic': { Store: NonAtomicTakeStore },
  'take-ignores-ttl': { Store: TtlIgnoringStore },
  'open-resolves-early': { Node: EarlyOpenBackplane },
  'proto-key-lost': { Node: ProtoLosingBackplane },
  'shared-packet': { Node: SharedPacketBackplane },
  'removed-to-cut-node': { Node: RemovedToCutNodeBackplane },
  'offline-every-entry': { Node: OfflineEveryEntryBackplane },
} satisfies Record<string, VariantParts>;

/** The name of a backplane variant. */
export type BackplaneVariantName = keyof typeof PARTS;

/** Every variant's name. */
export const BACKPLANE_VARIANTS = Object.keys(PARTS) as BackplaneVariantName[];

const memory = (backplane: Backplane): MemoryBackplane => backplane as MemoryBackplane;

/**
 * The suite's options for `variant`, with short bounds: memory does everything in microtasks, so
 * a flaw that shows as something missing fails in well under a second.
 */
export function variantOptions(
  variant: BackplaneVariantName,
  extra: Pick<BackplaneContractOptions, 'runner' | 'report'>,
): Omit<BackplaneContractOptions, 'name'> {
  const parts: VariantParts = PARTS[variant];
  const { Cluster = MemoryCluster, Node = MemoryBackplane, Store } = parts;
  return {
    cluster: () => {
      const cluster = new Cluster(Store === undefined ? {} : { sessions: new Store() });
      return { node: () => new Node(cluster) };
    },
    ...(parts.noFaultHooks
      ? {}
      : {
          crash: (backplane, id) => memory(backplane).cluster.crash(id),
          cut: (backplane, id) => memory(backplane).cluster.cut(id),
          restore: (backplane, id) => memory(backplane).cluster.restore(id),
        }),
    timeout: 3000,
    timeouts: { delivery: 400, nodeTimeout: 300, restore: 400, quiet: 50 },
    ...extra,
  };
}
