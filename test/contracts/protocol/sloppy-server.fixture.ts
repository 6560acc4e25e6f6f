// Runs the protocol contract against the sloppy server with the flaw named by SLOPPY_FLAW.
// Started in a child mocha process by ../protocol-nonconforming.test.ts; its name does not match
// the `*.test.ts` glob, so the normal test run never loads it.
import { describeProtocolConformance } from '../../../contracts/index.js';
import { FLAWS, type Flaw } from './sloppy-frames.js';
import { SLOPPY, startSloppyServer } from './sloppy-server.js';

/** The environment variable that names the flaw. */
export const FLAW_ENV = 'SLOPPY_FLAW';
/** The environment variable that names the directory for the compliance report. */
export const REPORT_ENV = 'SLOPPY_REPORT_DIR';

const flaw = process.env[FLAW_ENV] ?? '';
if (!(FLAWS as readonly string[]).includes(flaw)) {
  throw new Error(`${FLAW_ENV}=${JSON.stringify(flaw)} names no flaw of the sloppy server`);
}

let server: Awaited<ReturnType<typeof startSloppyServer>> | undefined;

before(async () => {
  server = await startSloppyServer(flaw as Flaw);
});

after(async () => {
  await server?.close();
});

describeProtocolConformance({
  name: `sloppy server "${flaw}"`,
  url: () => server!.url,
  credentials: { valid: { auth: { token: SLOPPY.token } }, invalid: { auth: { token: 'wrong' } } },
  refusedTopic: SLOPPY.refusedTopic,
  echoRequest: SLOPPY.echoRequest,
  relayType: SLOPPY.relayType,
  maxPayload: SLOPPY.maxPayload,
  // Short: a flaw that shows as a missing frame fails fast on loopback.
  timeout: 3000,
  // The parent reads the compliance report too.
  report: process.env[REPORT_ENV] || undefined,
});
