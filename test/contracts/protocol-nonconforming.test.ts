// The protocol contract is only as good as the wrong servers it rejects. It runs here against a
// small server written straight on `ws` (test/contracts/protocol/sloppy-server.ts), once faithful
// and once per flaw, each run in a child mocha process, and each flaw must fail exactly the tests
// aimed at it.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContractReport } from '../../contracts/audit.js';
import {
  describeProtocolConformance,
  type ProtocolConformanceOptions,
} from '../../contracts/index.js';
import { FLAWS, type Flaw } from './protocol/sloppy-frames.js';
import { startPool, type ContractRun } from './run-contract-child.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const FIXTURE = path.join(ROOT, 'test', 'contracts', 'protocol', 'sloppy-server.fixture.ts');

/** Each flaw and the tests that must fail for it: exactly these, no others. */
const EXPECTED: Record<
  Exclude<Flaw, 'none'>,
  { flaw: string; caughtBy: string[]; exactly?: false }
> = {
  'wrong-version': { flaw: 'the welcome announces version 2', caughtBy: ['P-WELCOME-01'] },
  'shared-id': {
    flaw: 'every client gets the id "c-1"',
    caughtBy: ['P-WELCOME-02', 'P-CLOSE-02'],
  },
  'lenient-auth': {
    flaw: 'invalid and missing credentials are admitted, and invalid ones refresh',
    caughtBy: ['P-AUTH-02', 'P-AUTH-03', 'P-AUTH-04', 'P-AUTH-05', 'P-AUTH-08'],
  },
  'answer-id-off-by-one': {
    flaw: "the server answers its handlers' requests with id + 1",
    caughtBy: ['P-REQ-01', 'P-REQ-02', 'P-REQ-03', 'P-REQ-04'],
    exactly: false,
  },
  'close-on-bad-json': {
    flaw: 'malformed JSON closes the connection (1002) instead of an error frame',
    caughtBy: ['P-ERROR-01', 'P-ERROR-07'],
    exactly: false,
  },
  'wrong-error-code': {
    flaw: 'an unknown kind is refused with BAD_REQUEST',
    caughtBy: ['P-ERROR-02', 'P-ERROR-07'],
  },
  'error-instead-of-nack': {
    flaw: 'a malformed request with a valid id gets an error frame, not a nack',
    caughtBy: ['P-TOPIC-03', 'P-REQ-05', 'P-ERROR-04', 'P-ERROR-05'],
  },
  'close-on-oversize': {
    flaw: 'a frame over maxPayload closes the connection (1009)',
    caughtBy: ['P-SIZE-01', 'P-SIZE-03'],
  },
  'counts-characters': {
    flaw: 'maxPayload is counted in characters, not UTF-8 bytes',
    caughtBy: ['P-SIZE-01'],
  },
  'no-proto-guard': {
    flaw: '"__proto__" and "constructor.prototype" keys are accepted',
    caughtBy: ['P-ERROR-04', 'P-ERROR-07'],
  },
  'no-depth-limit': {
    flaw: 'frames nesting deeper than 128 levels are accepted',
    caughtBy: ['P-ERROR-05', 'P-ERROR-07'],
  },
  'binary-refused': {
    flaw: 'binary messages are refused instead of read as UTF-8 JSON',
    caughtBy: ['P-BINARY-01'],
  },
  'peer-no-from': {
    flaw: 'a forwarded request lacks "from"',
    caughtBy: ['P-PEER-01'],
  },
  'no-cancel-forward': {
    flaw: "the asker's cancel is not passed on to the target",
    caughtBy: ['P-PEER-04'],
  },
  'relay-echo': {
    flaw: 'a relayed message is echoed to its sender too',
    caughtBy: ['P-MSG-02'],
  },
  'nack-duplicate-id': {
    flaw: 'a req reusing an id in flight gets a nack (settling the first) instead of an error frame',
    caughtBy: ['P-PEER-07'],
  },
  'null-result-dropped': {
    flaw: 'a null result is sent without "result"',
    caughtBy: ['P-REQ-03'],
  },
  'refresh-ignored': {
    flaw: 'an auth frame on an admitted connection is never answered',
    caughtBy: ['P-AUTH-07', 'P-AUTH-08'],
  },
  'ping-unanswered': {
    flaw: 'a ping frame is never answered',
    caughtBy: ['P-PING-01', 'P-PING-02'],
  },
  'pong-with-id': {
    flaw: 'a ping is answered with a pong carrying a field the protocol does not define',
    caughtBy: ['P-PING-01'],
  },
  'welcome-user-number': {
    flaw: "the welcome's user is a number, not a string",
    caughtBy: ['P-WELCOME-04'],
  },
};

/** Runs the fixture for `flaw` in a child mocha with the JSON reporter; never rejects. */
function runFlaw(flaw: string, dir: string): Promise<ContractRun & { report?: ContractReport }> {
  const output = path.join(dir, `${flaw}.mocha.json`);
  const args = ['--conditions=plugsocket-source', '--import', 'tsx', MOCHA, '--no-config'];
  args.push('--reporter', 'json', '--reporter-option', `output=${output}`, '--exit', FIXTURE);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        SLOPPY_FLAW: flaw,
        SLOPPY_REPORT_DIR: path.join(dir, flaw),
        PLUGSOCKET_CONTRACT_REPORTS: '',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 90_000,
    });
    let stderr = '';
    child.stderr
      .setEncoding('utf8')
      .on('data', (c: string) => void (stderr = (stderr + c).slice(-4000)));
    child.on('close', (exitCode) => {
      void (async () => {
        try {
          const run = JSON.parse(await readFile(output, 'utf8')) as ContractRun;
          const stem = `protocol-sloppy-server-${flaw.replace(/[^a-z0-9.]+/g, '-')}`;
          const report = JSON.parse(
            readFileSync(path.join(dir, flaw, `${stem}.json`), 'utf8'),
          ) as ContractReport;
          resolve({ ...run, exitCode, stderr, report });
        } catch {
          resolve({ failures: [], pending: [], passes: [], exitCode, stderr });
        }
      })();
    });
  });
}

function summary(run: ContractRun): string {
  const failed = run.failures.map((f) => `  - ${f.title}: ${(f.err.message ?? '').split('\n')[0]}`);
  return `stats ${JSON.stringify(run.stats)}, exit ${run.exitCode}\nfailures:\n${failed.join('\n') || '  (none)'}\n${run.stderr}`;
}

const idOf = (title: string): string => title.split(' ')[0] ?? '';

describe('protocol contract suite', function () {
  describe('describeProtocolConformance() option validation', () => {
    const valid: ProtocolConformanceOptions = { name: 'valid', url: 'ws://127.0.0.1:1/' };
    const cases: [string, unknown, string][] = [
      ['options that are not an object', null, 'options'],
      ['a missing name', { ...valid, name: undefined }, 'options.name'],
      ['a missing url', { ...valid, url: undefined }, 'options.url'],
      ['an http url', { ...valid, url: 'http://127.0.0.1:1/' }, 'options.url'],
      [
        'credentials without invalid',
        { ...valid, credentials: { valid: {} } },
        'options.credentials.invalid',
      ],
      [
        'a credential part that does not exist',
        { ...valid, credentials: { valid: { token: 'x' }, invalid: {} } },
        'options.credentials.valid.token',
      ],
      [
        'a non-string header',
        { ...valid, credentials: { valid: { headers: { a: 1 } }, invalid: {} } },
        'options.credentials.valid.headers.a',
      ],
      ['an empty refused topic', { ...valid, refusedTopic: '' }, 'options.refusedTopic'],
      ['a non-string echo request', { ...valid, echoRequest: 5 }, 'options.echoRequest'],
      [
        'a relay type of 257 characters',
        { ...valid, relayType: 'x'.repeat(257) },
        'options.relayType',
      ],
      ['a tiny maxPayload', { ...valid, maxPayload: 100 }, 'options.maxPayload'],
      ['a non-boolean peerRequests', { ...valid, peerRequests: 'yes' }, 'options.peerRequests'],
      ['a non-positive timeout', { ...valid, timeout: 0 }, 'options.timeout'],
    ];
    for (const [what, options, field] of cases) {
      it(`throws a TypeError naming ${field} for ${what}`, () => {
        expect(() => describeProtocolConformance(options as ProtocolConformanceOptions))
          .to.throw(TypeError)
          .with.property('message')
          .that.includes(field);
      });
    }
  });

  describe('run against the sloppy server (each flaw in a child mocha process)', function () {
    this.timeout(120_000);
    let dir: string;
    let runs: Map<string, Promise<ContractRun & { report?: ContractReport }>>;

    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'plugsocket-protocol-'));
      runs = startPool(FLAWS, 4, (flaw) => runFlaw(flaw, dir));
    });

    after(async () => {
      await Promise.all(runs.values());
      rmSync(dir, { recursive: true, force: true });
    });

    it('passes the faithful server (flaw "none") with every test run, none failed or skipped, and reports it conforming', async () => {
      const run = await runs.get('none')!;
      expect(run.stats, summary(run)).to.not.equal(undefined);
      expect(run.stats?.failures, summary(run)).to.equal(0);
      expect(run.stats?.pending, summary(run)).to.equal(0);
      expect(run.stats?.passes, summary(run)).to.equal(run.stats?.tests).and.be.at.least(40);
      expect(run.report?.conforms, 'the compliance report of the faithful server').to.equal(true);
    });

    for (const [flaw, { flaw: what, caughtBy, exactly }] of Object.entries(EXPECTED)) {
      it(`fails "${flaw}" (${what}) in ${caughtBy.join(', ')}${exactly === false ? '' : ' and nothing else'}`, async () => {
        const [run, control] = await Promise.all([runs.get(flaw)!, runs.get('none')!]);
        expect(run.stats, summary(run)).to.not.equal(undefined);
        expect(run.exitCode, summary(run)).to.not.equal(0);
        const failed = run.failures.map((f) => idOf(f.title));
        for (const id of caughtBy)
          expect(failed, `${id} among the failures\n${summary(run)}`).to.include(id);
        if (exactly !== false) {
          expect(
            failed,
            `the failures are exactly the tests aimed at the flaw\n${summary(run)}`,
          ).to.have.members(caughtBy);
        }
        expect(
          run.failures.filter((f) => /"(before|after) (all|each)" hook/.test(f.title)),
          summary(run),
        ).to.deep.equal([]);
        expect(run.stats?.tests, 'tests run, compared with the faithful run').to.equal(
          control.stats?.tests,
        );
        expect(run.report?.conforms, `the compliance report of "${flaw}"`).to.equal(false);
        expect(
          run.report?.tests.filter((t) => t.outcome === 'failed').map((t) => t.id),
          'the failed ids in the compliance report',
        ).to.have.members(failed);
      });
    }
  });
});
