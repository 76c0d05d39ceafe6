import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  candidatePaths,
  isInside,
  parseModulePath,
  resolveSourcePath,
  sharedSuffix,
  type SourceRoots,
} from '../../src/source/sourceMap.ts';

const ws = '/home/dev/cluster-etcd-operator';

function roots(over: Partial<SourceRoots> = {}): SourceRoots {
  return {
    workspaceFolders: [ws],
    modules: [
      { modulePath: 'github.com/openshift/cluster-etcd-operator', dir: ws },
      { modulePath: 'example.com/sandbox/operator', dir: `${ws}/test/sandbox/operator` },
    ],
    vendorDirs: [`${ws}/vendor`],
    goroot: '/usr/local/go',
    gopath: ['/home/dev/go'],
    modCache: '/home/dev/go/pkg/mod',
    rewrites: [],
    workspaceFiles: [
      `${ws}/pkg/operator/starter.go`,
      `${ws}/pkg/etcdcli/etcdcli.go`,
      `${ws}/test/sandbox/operator/main.go`,
      `${ws}/vendor/k8s.io/client-go/rest/request.go`,
      `${ws}/hack/tools/main.go`,
    ],
    ...over,
  };
}

/** An existence check backed by a set, recording every path it is asked about. */
function fakeFs(files: string[]) {
  const set = new Set(files);
  const asked: string[] = [];
  return { asked, exists: (p: string) => (asked.push(p), set.has(p)) };
}

test('parseModulePath reads the module directive, ignoring comments and quotes', () => {
  assert.equal(parseModulePath('// comment\nmodule github.com/openshift/cluster-etcd-operator\n\ngo 1.22\n'), 'github.com/openshift/cluster-etcd-operator');
  assert.equal(parseModulePath('module "example.com/x" // quoted\n'), 'example.com/x');
  assert.equal(parseModulePath('go 1.22\n'), undefined);
});

test('isInside rejects siblings with a common prefix and .. escapes', () => {
  assert.equal(isInside(`${ws}/pkg/a.go`, ws), true);
  assert.equal(isInside(`${ws}-evil/a.go`, ws), false);
  assert.equal(isInside(`${ws}/../../../etc/passwd`, ws), false);
  assert.equal(isInside('relative/a.go', ws), false);
});

test('sharedSuffix counts trailing segments', () => {
  assert.equal(sharedSuffix('/a/b/c/d.go', '/x/b/c/d.go'), 3);
  assert.equal(sharedSuffix('/a/b/d.go', '/a/b/e.go'), 0);
});

test('GOPATH-style build path of the workspace module maps through go.mod', async () => {
  const fs = fakeFs([`${ws}/pkg/operator/starter.go`]);
  const r = await resolveSourcePath('/go/src/github.com/openshift/cluster-etcd-operator/pkg/operator/starter.go', roots(), fs.exists);
  assert.deepEqual(r, { found: true, path: `${ws}/pkg/operator/starter.go`, via: 'module' });
});

test('trimpath build path of a nested module maps to its folder', async () => {
  const fs = fakeFs([`${ws}/test/sandbox/operator/main.go`]);
  const r = await resolveSourcePath('example.com/sandbox/operator/main.go', roots(), fs.exists);
  assert.deepEqual(r, { found: true, path: `${ws}/test/sandbox/operator/main.go`, via: 'module' });
});

test('an absolute path already inside the workspace is used as is', async () => {
  const fs = fakeFs([`${ws}/pkg/etcdcli/etcdcli.go`]);
  const r = await resolveSourcePath(`${ws}/pkg/etcdcli/etcdcli.go`, roots(), fs.exists);
  assert.deepEqual(r, { found: true, path: `${ws}/pkg/etcdcli/etcdcli.go`, via: 'workspace' });
});

test('module cache path of a dependency maps to the vendor folder before the module cache', async () => {
  const fs = fakeFs([`${ws}/vendor/k8s.io/client-go/rest/request.go`, '/home/dev/go/pkg/mod/k8s.io/client-go@v0.30.1/rest/request.go']);
  const r = await resolveSourcePath('/root/go/pkg/mod/k8s.io/client-go@v0.30.1/rest/request.go', roots(), fs.exists);
  assert.deepEqual(r, { found: true, path: `${ws}/vendor/k8s.io/client-go/rest/request.go`, via: 'vendor' });
});

test('module cache path maps to the local module cache when not vendored', async () => {
  const local = '/home/dev/go/pkg/mod/go.etcd.io/etcd/server/v3@v3.5.9/etcdserver/server.go';
  const fs = fakeFs([local]);
  const r = await resolveSourcePath('/go/pkg/mod/go.etcd.io/etcd/server/v3@v3.5.9/etcdserver/server.go', roots(), fs.exists);
  assert.deepEqual(r, { found: true, path: local, via: 'modcache' });
});

test('a distribution GOROOT path maps to the local GOROOT', async () => {
  const fs = fakeFs(['/usr/local/go/src/runtime/proc.go']);
  const r = await resolveSourcePath('/usr/lib/go-1.22/src/runtime/proc.go', roots(), fs.exists);
  assert.deepEqual(r, { found: true, path: '/usr/local/go/src/runtime/proc.go', via: 'goroot' });
  const trimmed = await resolveSourcePath('runtime/proc.go', roots(), fs.exists);
  assert.deepEqual(trimmed, { found: true, path: '/usr/local/go/src/runtime/proc.go', via: 'goroot' });
});

test('explicit rewrites come first', async () => {
  const fs = fakeFs([`${ws}/pkg/operator/starter.go`]);
  const r = await resolveSourcePath('/build/src/pkg/operator/starter.go', roots({ rewrites: [{ from: '/build/src/', to: ws }] }), fs.exists);
  assert.deepEqual(r, { found: true, path: `${ws}/pkg/operator/starter.go`, via: 'rewrite' });
});

test('longest path-suffix match finds a file under an unknown build prefix', async () => {
  const fs = fakeFs([`${ws}/pkg/etcdcli/etcdcli.go`]);
  const r = await resolveSourcePath('/tmp/builder-123/x/pkg/etcdcli/etcdcli.go', roots({ modules: [] }), fs.exists);
  assert.deepEqual(r, { found: true, path: `${ws}/pkg/etcdcli/etcdcli.go`, via: 'suffix' });
});

test('a bare file-name match is not enough for the suffix match', async () => {
  const fs = fakeFs([`${ws}/hack/tools/main.go`, `${ws}/test/sandbox/operator/main.go`]);
  const r = await resolveSourcePath('/somewhere/else/main.go', roots(), fs.exists);
  assert.equal(r.found, false);
});

test('files outside the workspace and configured roots are never proposed nor checked', async () => {
  const hostile = [
    '/etc/passwd',
    '/etc/shadow',
    '/root/.ssh/id_rsa',
    `${ws}/../../../etc/passwd`,
    `${ws}-evil/steal.go`,
    '/go/src/../../etc/passwd',
    'C:\\Windows\\System32\\config\\SAM',
    '/home/dev/.kube/config',
  ];
  const fs = fakeFs(hostile.concat(['/etc/passwd']));
  for (const h of hostile) {
    const r = await resolveSourcePath(h, roots(), fs.exists);
    assert.equal(r.found, false, h);
  }
  const allowed = [ws, '/usr/local/go', '/home/dev/go', '/home/dev/go/pkg/mod'];
  for (const p of fs.asked) assert.ok(allowed.some((root) => isInside(p, root)), `asked about ${p}`);
  // A rewrite cannot escape its target with `..` either.
  const r = candidatePaths('/build/../../etc/passwd', roots({ rewrites: [{ from: '/build/', to: `${ws}/src` }] }));
  for (const c of r) assert.ok(isInside(c.path, ws), c.path);
});
