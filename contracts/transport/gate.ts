import type { TransportCapabilities } from '../../src/index.js';
import type { TransportHarness } from '../transport-harness.js';

/** The body of one contract test; `this` is mocha's test context. */
export type ContractTestBody = (this: Mocha.Context) => Promise<void>;

/**
 * Registers a test that only applies when the manifest under test declares `capability`. The
 * title carries `[supports.<capability>]`, so a run's report shows which gate skipped which test;
 * the gate reads the manifest the suite was given, never the adapter's name.
 */
export function itWhenSupported(
  h: TransportHarness,
  capability: keyof TransportCapabilities,
  title: string,
  body: ContractTestBody,
): void {
  it(`${title} [supports.${capability}]`, async function () {
    if (!h.options.supports[capability]) this.skip();
    await body.call(this);
  });
}
