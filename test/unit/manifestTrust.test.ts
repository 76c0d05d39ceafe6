// The manifest's trust contract: settings that run programs (kubeconfig exec plugins), write or open paths, or weaken
// TLS are user settings only (machine scope) and restricted in untrusted workspaces, which the extension supports in
// a limited way. The e2e test workspaceTrust.e2e.ts shows the effect in code-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const USER_ONLY = ['kubeconfig', 'insecureSkipTLSVerify', 'sourcePathRewrites', 'capturesFolder', 'goPods', 'captureMethod', 'fetchSource'].map((k) => `etcdProfiler.${k}`);

test('security settings are machine-scoped and restricted in untrusted workspaces', () => {
  const props = pkg.contributes.configuration.properties as Record<string, { scope?: string }>;
  for (const key of USER_ONLY) assert.equal(props[key]?.scope, 'machine', key);
  const trust = pkg.capabilities.untrustedWorkspaces;
  assert.equal(trust.supported, 'limited');
  assert.deepEqual([...trust.restrictedConfigurations].sort(), [...USER_ONLY].sort());
  // The src/views/trust.ts list is the same (it names what is ignored in a folder's settings).
  const trustTs = readFileSync(new URL('../../src/views/trust.ts', import.meta.url), 'utf8');
  const listed = /USER_ONLY_SETTINGS = \[([^\]]*)\]/.exec(trustTs)?.[1].match(/'(\w+)'/g)?.map((s) => `etcdProfiler.${s.slice(1, -1)}`);
  assert.deepEqual(listed?.sort(), [...USER_ONLY].sort());
});

test('the Pods view explains Restricted Mode and links to Manage Workspace Trust', () => {
  const welcome = (pkg.contributes.viewsWelcome as { view: string; when: string; contents: string }[]).find((w) => w.when === 'etcdProfiler.podsState == restricted');
  assert.ok(welcome);
  assert.match(welcome.contents, /Restricted Mode/);
  assert.match(welcome.contents, /\(command:workbench\.trust\.manage\)/);
});
