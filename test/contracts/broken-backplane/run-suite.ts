// Runs the backplane contract in this process through a minimal test runner and resolves with the
// suite's own compliance report (the audit API), so a test can assert which ids a backplane fails.
import {
  describeBackplaneContract,
  type BackplaneContractOptions,
  type ContractReport,
  type TestRunner,
} from 'plugsocket/contracts';

type Body = () => unknown;

interface Group {
  readonly tests: { title: string; fn?: Body }[];
  readonly groups: Group[];
  readonly order: ('test' | 'group')[];
  readonly afterEach: Body[];
  readonly afterAll: Body[];
}

/** What a run produced: the report, and every failure the runner saw, hooks included. */
export interface SuiteRun {
  readonly report: ContractReport;
  /** Titles of tests and hooks that threw, with the first line of the error. */
  readonly failures: string[];
  readonly hookFailures: string[];
}

function newGroup(): Group {
  return { tests: [], groups: [], order: [], afterEach: [], afterAll: [] };
}

async function attempt(fn: Body): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0];
  }
}

/**
 * Registers the suite with `options` on a vitest-shaped runner (`afterAll`, trailing timeouts),
 * then runs its tests one after the other with their `afterEach` hooks, innermost first, and its
 * `afterAll` hooks, as mocha would.
 */
export async function runBackplaneSuite(
  name: string,
  options: (
    extra: Pick<BackplaneContractOptions, 'runner' | 'report'>,
  ) => Omit<BackplaneContractOptions, 'name'>,
): Promise<SuiteRun> {
  const root = newGroup();
  let current = root;
  const it = Object.assign(
    (title: string, fn: Body) => {
      current.tests.push({ title, fn });
      current.order.push('test');
    },
    {
      skip: (title: string) => {
        current.tests.push({ title });
        current.order.push('test');
      },
    },
  );
  const runner = {
    describe: (_title: string, body: () => void) => {
      const group = newGroup();
      current.groups.push(group);
      current.order.push('group');
      const parent = current;
      current = group;
      body();
      current = parent;
    },
    it,
    afterEach: (fn: Body) => void current.afterEach.push(fn),
    afterAll: (fn: Body) => void current.afterAll.push(fn),
  } as unknown as TestRunner;

  let report: ContractReport | undefined;
  describeBackplaneContract({
    name,
    ...options({ runner, report: { onReport: (r) => void (report = r) } }),
  });

  const failures: string[] = [];
  const hookFailures: string[] = [];
  const run = async (group: Group, hooks: Body[][]): Promise<void> => {
    const afterEach = [group.afterEach, ...hooks];
    let t = 0;
    let g = 0;
    for (const kind of group.order) {
      if (kind === 'group') {
        await run(group.groups[g++], afterEach);
        continue;
      }
      const test = group.tests[t++];
      if (test.fn === undefined) continue;
      const failed = await attempt(test.fn);
      if (failed !== undefined) failures.push(`${test.title}: ${failed}`);
      for (const hook of afterEach.flat()) {
        const hookFailed = await attempt(hook);
        if (hookFailed !== undefined)
          hookFailures.push(`afterEach of ${test.title}: ${hookFailed}`);
      }
    }
    for (const hook of group.afterAll) {
      const hookFailed = await attempt(hook);
      if (hookFailed !== undefined) hookFailures.push(`afterAll: ${hookFailed}`);
    }
  };
  await run(root, []);
  if (report === undefined) throw new Error('the suite wrote no report');
  return { report, failures, hookFailures };
}
