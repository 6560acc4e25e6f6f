// Runs the transport contract suite, fault tier included, against one variant of the TCP example
// adapter, named by the environment variable TCP_VARIANT_ENV. Started in a child mocha process by
// ../broken-tcp-adapters.test.ts; its name does not match the `*.test.ts` glob, so the normal test
// run never loads it.
import { TCP_CAPABILITIES, TcpSocketServer } from '../../../examples/tcp-adapter/index.js';
import { describeTransportContract } from '../../../contracts/index.js';
import {
  TCP_ADAPTER_VARIANTS,
  TCP_VARIANT_ENV,
  type TcpAdapterVariant,
  type TcpAdapterVariantName,
} from './variants.js';

const name = process.env[TCP_VARIANT_ENV] ?? '';
if (!Object.hasOwn(TCP_ADAPTER_VARIANTS, name)) {
  throw new Error(`${TCP_VARIANT_ENV}=${JSON.stringify(name)} names no TCP adapter variant`);
}
const variant: TcpAdapterVariant = TCP_ADAPTER_VARIANTS[name as TcpAdapterVariantName];

describeTransportContract({
  name: `tcp variant "${name}"`,
  createServer: () => variant.createServer(),
  createClient: () => variant.createClient(),
  supports: TCP_CAPABILITIES,
  // Short, so that flaws that show as missing events fail fast: on loopback the TCP adapter needs
  // milliseconds for everything the suite does.
  timeout: 3000,
  faults: true,
  createServerAt: (address) => new TcpSocketServer({ port: address.port, host: '127.0.0.1' }),
});
