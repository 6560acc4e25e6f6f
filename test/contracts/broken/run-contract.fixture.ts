// Runs the transport contract suite against one adapter variant, named by the environment
// variable VARIANT_ENV. Started in a child mocha process by ../broken-adapters.test.ts; its
// name does not match the `*.test.ts` glob, so the normal test run never loads it.
import { MEMORY_CAPABILITIES } from '../../../adapters/memory/index.js';
import { describeTransportContract } from '../../../contracts/index.js';
import {
  ADAPTER_VARIANTS,
  VARIANT_ENV,
  type AdapterVariant,
  type AdapterVariantName,
} from './variants.js';

const name = process.env[VARIANT_ENV] ?? '';
if (!Object.hasOwn(ADAPTER_VARIANTS, name)) {
  throw new Error(`${VARIANT_ENV}=${JSON.stringify(name)} names no adapter variant`);
}
const variant: AdapterVariant = ADAPTER_VARIANTS[name as AdapterVariantName];

describeTransportContract({
  name: `memory variant "${name}"`,
  createServer: () => variant.createServer(),
  createClient: () => variant.createClient(),
  // A memory server listens again at a closed one's address when given its name.
  createServerAt: (address) => {
    const url = address.url ?? '';
    if (!url.startsWith('memory://')) throw new TypeError(`not a memory address: ${url}`);
    return variant.createServer({ name: url.slice('memory://'.length) });
  },
  supports: variant.supports ?? MEMORY_CAPABILITIES,
  // Short, so that flaws that show as missing events fail fast: the memory adapter needs
  // milliseconds for everything the suite does.
  timeout: 2500,
});
