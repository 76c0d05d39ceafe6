// Where a frame's build path says its source comes from, and the checks that keep a hostile profile's names out of
// URLs, file paths and the go command; the go command's GOPROXY / GOPRIVATE rules.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fetchModules } from '../../src/source/fetchModule.ts';
import { globMatch, matchPrefixPatterns, parseProxyList } from '../../src/source/goEnv.ts';
import {
  checkModulePath,
  checkRelPath,
  checkVersion,
  classifyBuildPath,
  escapePath,
  goModRequirements,
  isGoVersion,
  parseModuleVersion,
  toolchainModule,
  unescapePath,
  vendoredModule,
} from '../../src/source/modules.ts';
import { goFetchEnv } from './helpers/goFetchEnv.ts';

test('build paths: -trimpath dependencies, module-cache paths (case-escaped), main module, standard library', () => {
  assert.deepEqual(classifyBuildPath('go.etcd.io/etcd/server/v3@v3.6.16/etcdserver/server.go'), {
    kind: 'module',
    module: 'go.etcd.io/etcd/server/v3',
    version: 'v3.6.16',
    rel: 'etcdserver/server.go',
  });
  assert.deepEqual(classifyBuildPath('/home/u/go/pkg/mod/github.com/!burnt!sushi/toml@v1.2.1/decode.go'), {
    kind: 'module',
    module: 'github.com/BurntSushi/toml',
    version: 'v1.2.1',
    rel: 'decode.go',
  });
  assert.deepEqual(classifyBuildPath('example.com/prog/cmd/x.go', [{ path: 'example.com/prog', version: 'v1.0.0' }]), {
    kind: 'main',
    module: 'example.com/prog',
    version: 'v1.0.0',
    rel: 'cmd/x.go',
  });
  assert.deepEqual(classifyBuildPath('example.com/prog/cmd/x.go'), { kind: 'unknown' });
  assert.deepEqual(classifyBuildPath('runtime/proc.go'), { kind: 'stdlib', rel: 'runtime/proc.go' });
  assert.deepEqual(classifyBuildPath('/usr/local/go/src/net/http/server.go'), { kind: 'stdlib', rel: 'net/http/server.go' });
  // The longest main module wins.
  assert.equal(
    (classifyBuildPath('go.etcd.io/etcd/server/v3/x.go', [
      { path: 'go.etcd.io/etcd', version: 'v3.6.0' },
      { path: 'go.etcd.io/etcd/server/v3', version: 'v3.6.16' },
    ]) as { module: string }).module,
    'go.etcd.io/etcd/server/v3',
  );
});

test('hostile build paths are not fetched', () => {
  for (const p of [
    'github.com/x/y@v1.0.0/../../../etc/passwd',
    'github.com/x/y@v1.0.0/a/./b.go',
    'github.com/x/y@v1.0.0//b.go',
    'github.com/x/y@$(touch x)/a.go',
    'github.com/x/y@v1.0.0 --help/a.go',
    '-x@v1.0.0/a.go',
    'github.com/x/y@v1.0.0/a\nb.go',
    '/pkg/mod/github.com/X/y@v1.0.0/a.go',
  ]) {
    assert.deepEqual(classifyBuildPath(p), { kind: 'unknown' }, p);
  }
  assert.deepEqual(classifyBuildPath('../runtime/proc.go'), { kind: 'unknown' });
});

test('module paths, versions, go versions, file paths', () => {
  assert.equal(checkModulePath('go.etcd.io/etcd/server/v3'), undefined);
  assert.equal(checkModulePath('golang.org/toolchain'), undefined);
  assert.match(checkModulePath('runtime') ?? '', /not a domain name/);
  assert.match(checkModulePath('-x.com/a') ?? '', /not a domain name/);
  assert.match(checkModulePath('x.com/a b') ?? '', /bad path element/);
  assert.match(checkModulePath('x.com/..') ?? '', /bad path element/);
  assert.equal(checkVersion('v0.0.0-20240101000000-abcdef123456'), undefined);
  assert.equal(checkVersion('v2.0.0+incompatible'), undefined);
  assert.equal(checkVersion('v0.0.1-go1.26.8.linux-amd64'), undefined);
  assert.ok(checkVersion('latest'));
  assert.ok(checkVersion('v1.0.0;rm -rf'));
  assert.ok(isGoVersion('go1.26.8') && isGoVersion('go1.22.0') && isGoVersion('go1.23rc1'));
  assert.ok(!isGoVersion('1.26.8') && !isGoVersion('go1.26.8 X:nocoverage'));
  assert.deepEqual(toolchainModule('go1.26.8'), { path: 'golang.org/toolchain', version: 'v0.0.1-go1.26.8.linux-amd64' });
  assert.deepEqual(parseModuleVersion('go.etcd.io/etcd/server/v3@v3.6.16'), { path: 'go.etcd.io/etcd/server/v3', version: 'v3.6.16' });
  assert.throws(() => parseModuleVersion('go.etcd.io/etcd/server/v3'), /not PATH@VERSION/);
  assert.throws(() => parseModuleVersion('go.etcd.io/etcd@main'), /not a module version/);
  assert.ok(checkRelPath('src/runtime/proc.go'));
  for (const bad of ['', '/abs.go', 'a/../b.go', 'a//b.go', 'c:/x.go', 'a\\b.go', 'a\x00b.go']) assert.ok(!checkRelPath(bad), JSON.stringify(bad));
});

test('case encoding of the proxy protocol and the module cache', () => {
  assert.equal(escapePath('github.com/BurntSushi/toml'), 'github.com/!burnt!sushi/toml');
  assert.equal(unescapePath('github.com/!burnt!sushi/toml'), 'github.com/BurntSushi/toml');
  assert.equal(unescapePath('github.com/Burnt'), undefined);
  assert.equal(unescapePath('github.com/!!x'), undefined);
});

test('GOPRIVATE / GONOPROXY / GONOSUMDB patterns match leading path elements as the go command does', () => {
  assert.ok(matchPrefixPatterns('*.corp.example.com,rsc.io/private', 'git.corp.example.com/team/repo'));
  assert.ok(matchPrefixPatterns('*.corp.example.com,rsc.io/private', 'rsc.io/private/sub'));
  assert.ok(!matchPrefixPatterns('*.corp.example.com,rsc.io/private', 'rsc.io/privateer'));
  assert.ok(!matchPrefixPatterns('*.corp.example.com', 'corp.example.com/x'));
  assert.ok(matchPrefixPatterns('example.com/srcprog', 'example.com/srcprog'));
  assert.ok(!matchPrefixPatterns('', 'example.com/srcprog'));
  assert.ok(globMatch('github.com/[ab]*', 'github.com/acme') && !globMatch('github.com/[ab]*', 'github.com/cme'));
});

test('GOPROXY lists: comma falls through on 404/410 only, pipe on any error', () => {
  assert.deepEqual(parseProxyList('https://a.example,https://b.example|direct'), [
    { url: 'https://a.example', fallBackOnAnyError: false },
    { url: 'https://b.example', fallBackOnAnyError: true },
    { url: 'direct', fallBackOnAnyError: false },
  ]);
  assert.deepEqual(parseProxyList('off'), [{ url: 'off', fallBackOnAnyError: false }]);
  assert.deepEqual(parseProxyList('https://a.example/'), [{ url: 'https://a.example', fallBackOnAnyError: false }]);
});

test('in-process fetching: private modules, GOPROXY=off and hostile module names fail with a message, before any request', async () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'ep-fetch-'));
  const env = goFetchEnv({
    GOPROXY: 'https://proxy.golang.org,direct',
    GONOPROXY: 'git.corp.example.com',
    GOPRIVATE: 'git.corp.example.com',
    GONOSUMDB: 'git.corp.example.com',
  });
  try {
    const r1 = (await fetchModules([{ path: 'git.corp.example.com/team/svc', version: 'v1.2.3' }], { cacheDir, env })).get('git.corp.example.com/team/svc@v1.2.3');
    assert.ok(r1 && !r1.ok);
    assert.match(r1.error.message, /git\.corp\.example\.com\/team\/svc@v1\.2\.3 is private \(GONOPROXY\/GOPRIVATE\).*needs the go command/);
    const r2 = (await fetchModules([{ path: 'github.com/x/y', version: 'v1.0.0' }], { cacheDir, env: { ...env, GOPROXY: 'off' } })).get('github.com/x/y@v1.0.0');
    assert.ok(r2 && !r2.ok);
    assert.match(r2.error.message, /GOPROXY=off names no proxy to fetch github\.com\/x\/y@v1\.0\.0/);
    const r3 = (await fetchModules([{ path: 'github.com/x/y', version: 'v1.0.0 --json' }], { cacheDir, env })).get('github.com/x/y@v1.0.0 --json');
    assert.ok(r3 && !r3.ok && r3.error.kind === 'refused');
    assert.deepEqual(readdirSync(cacheDir), []);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('vendored packages of a build without -trimpath take their module version from the main module go.mod', () => {
  assert.deepEqual(classifyBuildPath('/build/etcd/vendor/github.com/klauspost/compress/zstd/enc_best.go'), {
    kind: 'vendored',
    importPath: 'github.com/klauspost/compress/zstd/enc_best.go',
  });
  assert.deepEqual(classifyBuildPath('/build/etcd/vendor/../../etc/passwd'), { kind: 'unknown' });
  const req = goModRequirements(`module example.com/m

go 1.24

require github.com/cespare/xxhash/v2 v2.3.0 // indirect
require (
	github.com/klauspost/compress v1.18.0
	"golang.org/x/text" v0.21.0
	golang.org/x/net latest
	example.com/local v1.0.0
)

replace example.com/local => ../local
replace (
	golang.org/x/text => golang.org/x/text v0.22.0
)
`);
  assert.deepEqual([...req], [
    ['github.com/cespare/xxhash/v2', 'github.com/cespare/xxhash/v2@v2.3.0'],
    ['github.com/klauspost/compress', 'github.com/klauspost/compress@v1.18.0'],
    ['golang.org/x/text', 'golang.org/x/text@v0.22.0'],
  ]);
  assert.deepEqual(vendoredModule('github.com/klauspost/compress/zstd/enc_best.go', req), {
    mv: { path: 'github.com/klauspost/compress', version: 'v1.18.0' },
    rel: 'zstd/enc_best.go',
  });
  assert.equal(vendoredModule('github.com/other/x/y.go', req), undefined);
});
