// Runs the transport contract suite, fault tier included, against one variant of the ws adapter,
// named by the environment variable WS_VARIANT_ENV. Started in a child mocha process by
// ../broken-ws-adapters.test.ts; its name does not match the `*.test.ts` glob, so the normal test
// run never loads it.
import { WS_CAPABILITIES } from '../../../adapters/ws/index.js';
import { describeTransportContract } from '../../../contracts/index.js';
import {
  WS_ADAPTER_VARIANTS,
  WS_VARIANT_ENV,
  type WsAdapterVariant,
  type WsAdapterVariantName,
} from './variants.js';

const name = process.env[WS_VARIANT_ENV] ?? '';
if (!Object.hasOwn(WS_ADAPTER_VARIANTS, name)) {
  throw new Error(`${WS_VARIANT_ENV}=${JSON.stringify(name)} names no ws adapter variant`);
}
const variant: WsAdapterVariant = WS_ADAPTER_VARIANTS[name as WsAdapterVariantName];

describeTransportContract({
  name: `ws variant "${name}"`,
  createServer: () => variant.createServer(),
  createClient: () => variant.createClient(),
  supports: WS_CAPABILITIES,
  // Short, so that flaws that show as missing events fail fast: on loopback the ws adapter needs
  // milliseconds for everything the suite does.
  timeout: 3000,
  faults: true,
  createServerAt: (address) => variant.createServerAt(address),
});
