// A node:test reporter that counts results for test/run-all.sh's summary, written as one JSON line:
//   { "pass", "fail", "skip", "todo", "skippedSuites": [...], "failedHooks": [...] }
// Counted from the runner's own events, not from the spec reporter's closing lines: node:test leaves the tests
// inside a skipped describe out of its "skipped" count (it never runs the describe's body, so it cannot know
// them). A skipped describe is listed in skippedSuites, and run-all.sh fails the phase on it: skip tests one by
// one instead, so that each is counted. A suite or file whose hook failed while none of its tests failed (an
// `after` that threw or hung) counts as one failure, named in failedHooks.
// Used as: node --test --test-reporter=spec --test-reporter-destination=stdout \
//            --test-reporter=./test/counts-reporter.ts --test-reporter-destination=FILE ...

interface TestEventData {
  name: string;
  nesting: number;
  file?: string;
  skip?: boolean | string;
  todo?: boolean | string;
  details?: { type?: 'suite' | 'test'; error?: { failureType?: string } };
}

interface TestEvent {
  type: string;
  data: TestEventData;
}

export default async function* countsReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const counts = { pass: 0, fail: 0, skip: 0, todo: 0, skippedSuites: [] as string[], failedHooks: [] as string[] };
  // Per file, per nesting level: whether a test below that level failed since the last suite at that level
  // ended (a suite's event comes after its children's).
  const failedBelow = new Map<string, boolean[]>();
  const failedInFile = new Map<string, number>();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    const file = d.file ?? '';
    const where = `${d.name} (${file.replace(`${process.cwd()}/`, '')})`;
    const below = failedBelow.get(file) ?? [];
    failedBelow.set(file, below);
    const skipped = d.skip !== undefined && d.skip !== false;
    const todo = d.todo !== undefined && d.todo !== false;
    // The event of a file itself (with process isolation): a failure there is a load error or a file-level hook.
    const isFile = d.details?.type === undefined && d.name === file;
    const isSuite = d.details?.type === 'suite';
    if (isFile) {
      if (event.type === 'test:fail' && !failedInFile.get(file)) {
        counts.fail++;
        counts.failedHooks.push(where);
      }
      continue;
    }
    if (isSuite) {
      if (skipped) counts.skippedSuites.push(where);
      else if (event.type === 'test:fail' && !below[d.nesting]) {
        counts.fail++;
        counts.failedHooks.push(where);
      }
      below[d.nesting] = false;
      continue;
    }
    if (skipped) counts.skip++;
    else if (todo) counts.todo++;
    else if (event.type === 'test:pass') counts.pass++;
    else {
      counts.fail++;
      failedInFile.set(file, (failedInFile.get(file) ?? 0) + 1);
      for (let i = 0; i < d.nesting; i++) below[i] = true;
    }
  }
  yield `${JSON.stringify(counts)}\n`;
}
