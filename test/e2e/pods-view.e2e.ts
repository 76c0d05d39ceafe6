// The packaged extension in code-server, against the running sandbox: the etcd Profiler view lists the
// sandbox's four pods (three etcd members and the operator). Keeps test-results/e2e-pods-view.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxInfo, startSession } from './harness.ts';

test('the etcd Profiler view lists the sandbox pods', { timeout: 5 * 60_000 }, async () => {
  const info = sandboxInfo();
  const expected = info.pods.map((p) => p.name).sort();
  assert.deepEqual(
    expected.filter((n) => n.startsWith('etcd-master-')),
    ['etcd-master-0', 'etcd-master-1', 'etcd-master-2'],
    'the sandbox reports three etcd members',
  );
  const operator = expected.find((n) => /^etcd-operator-[0-9a-f]{10}-[0-9a-z]{5}$/.test(n));
  assert.ok(operator, `the sandbox reports an operator pod: ${expected.join(', ')}`);

  const session = await startSession({ name: 'pods-view' });
  try {
    await session.openProfilerView();
    
    // Groups (context, namespaces) may start collapsed: open them all, then look for every pod.
    const deadline = Date.now() + 60_000;
    let rows: string[] = [];
    while (Date.now() < deadline) {
      await session.expandAll();
      rows = await session.treeRows();
      if (expected.every((name) => rows.some((row) => row.includes(name)))) break;
      await session.page.waitForTimeout(1_000);
    }
    await session.screenshot('e2e-pods-view');
    for (const pod of info.pods) {
      const row = rows.find((r) => r.includes(pod.name));
      assert.ok(row, `the view shows ${pod.name}; rows: ${JSON.stringify(rows)}`);
      // Running with every container ready: the green icon says it, the row's text stays short (issue 13),
      // and a screen reader hears the status.
      const item = session.treeItem(pod.name);
      assert.equal(await item.locator('.codicon-pass-filled').count(), 1, `${pod.name} has the running-and-ready icon`);
      assert.match((await item.getAttribute('aria-label')) ?? '', new RegExp(`^${pod.name}, Running \\d+/\\d+`), `${pod.name}'s accessible label`);
      assert.doesNotMatch(row, /Running/, `${pod.name}'s row does not spell out a healthy status: ${row}`);
      assert.ok(!row.includes(` · ${pod.node}`), `${pod.name}'s row is short (the node is in the tooltip): ${row}`);
    }
  } finally {
    await session.close();
  }
});
