// Opens the source of a profile frame: gathers the roots (workspace folders, go.mod modules,
// vendor folders, GOROOT/GOPATH/module cache, `etcdProfiler.sourcePathRewrites`) and lets the
// pure resolver in sourceMap.ts pick a file inside them. Nothing outside those roots is opened.
// A frame found nowhere is fetched at the exact version that built the binary — a dependency at the version in its
// build path, a main-module or standard-library file at the version the capture's sidecar recorded — (src/source:
// the go command, else the module proxy with the checksum database), with cancellable progress, into the
// extension's storage, and opened read-only with `module@version` in the tab title.
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { fetchModules, type FetchResult } from '../source/fetchModule.ts';
import { readGoFetchEnv } from '../source/goEnv.ts';
import { parseCaptureMeta, sidecarPath, type CaptureMeta } from '../profile/captureMeta.ts';
import { classifyBuildPath, parseModuleVersion, toolchainModule, type ModuleVersion } from '../source/modules.ts';
import { parseModulePath, resolveSourcePath, type PathRewrite, type Resolution, type SourceRoots, type WorkspaceModule } from '../source/sourceMap.ts';
import { getConfig, SECTION } from './config.ts';
import { SourceFileSystem, sourceDocumentUri } from './sourceDocuments.ts';

export const REWRITES_SETTING = 'sourcePathRewrites';
export const FETCH_SETTING = 'fetchSource';
const EXCLUDE = '{**/node_modules/**,**/.git/**,**/.sandbox/**}';

interface GoEnv {
  GOROOT?: string;
  GOPATH?: string;
  GOMODCACHE?: string;
}

function goEnv(): Promise<GoEnv> {
  const candidates = ['go', process.env.GOROOT ? `${process.env.GOROOT}/bin/go` : '', '/usr/local/go/bin/go'].filter(Boolean);
  const tryOne = (k: number): Promise<GoEnv> =>
    k >= candidates.length
      ? Promise.resolve({ GOROOT: process.env.GOROOT, GOPATH: process.env.GOPATH ?? `${homedir()}/go`, GOMODCACHE: process.env.GOMODCACHE })
      : new Promise((resolve) => {
          execFile(candidates[k], ['env', '-json', 'GOROOT', 'GOPATH', 'GOMODCACHE'], { timeout: 5000, env: { ...process.env, GOTOOLCHAIN: 'local' } }, (err, stdout) => {
            if (err) resolve(tryOne(k + 1));
            else {
              try {
                resolve(JSON.parse(stdout) as GoEnv);
              } catch {
                resolve(tryOne(k + 1));
              }
            }
          });
        });
  return tryOne(0);
}

function expand(p: string, folder: string | undefined): string {
  let s = p.trim();
  if (folder) s = s.replace(/\$\{workspaceFolder\}/g, folder);
  if (s === '~' || s.startsWith('~/')) s = homedir() + s.slice(1);
  return s;
}

/** The setting as a list: accepts `{ "from": "to" }` or `[{ "from", "to" }]`. */
export function readRewrites(folder: string | undefined): PathRewrite[] {
  const raw = getConfig().get<unknown>(REWRITES_SETTING);
  const out: PathRewrite[] = [];
  if (Array.isArray(raw)) {
    for (const r of raw) {
      if (r && typeof r.from === 'string' && typeof r.to === 'string') out.push({ from: r.from, to: expand(r.to, folder) });
    }
  } else if (raw && typeof raw === 'object') {
    for (const [from, to] of Object.entries(raw as Record<string, unknown>)) if (typeof to === 'string') out.push({ from, to: expand(to, folder) });
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    const s = await vscode.workspace.fs.stat(vscode.Uri.file(path));
    return (s.type & vscode.FileType.File) !== 0;
  } catch {
    return false;
  }
}

export class SourceLinks implements vscode.Disposable {
  private roots?: Promise<SourceRoots>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly cache = new Map<string, Promise<Resolution>>();
  /** Where fetched module source is kept, once per module@version. */
  readonly sourceCache: string;
  private forkNoteShown = false;

  constructor(ctx: vscode.ExtensionContext) {
    this.sourceCache = join(ctx.globalStorageUri.fsPath, 'source');
    SourceFileSystem.register(ctx, this.sourceCache);
    const reset = () => {
      this.roots = undefined;
      this.cache.clear();
    };
    const watcher = vscode.workspace.createFileSystemWatcher('**/{go.mod,*.go}', false, true, false);
    watcher.onDidCreate(reset);
    watcher.onDidDelete(reset);
    this.disposables.push(
      watcher,
      vscode.workspace.onDidChangeWorkspaceFolders(reset),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${REWRITES_SETTING}`)) reset();
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private async buildRoots(): Promise<SourceRoots> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const [goMods, goFiles, env] = await Promise.all([
      vscode.workspace.findFiles('**/go.mod', EXCLUDE, 500),
      vscode.workspace.findFiles('**/*.go', EXCLUDE, 50000),
      goEnv(),
    ]);
    const modules: WorkspaceModule[] = [];
    const vendorDirs: string[] = [];
    for (const uri of goMods) {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      const modulePath = parseModulePath(text);
      const dir = vscode.Uri.joinPath(uri, '..').fsPath;
      if (modulePath) modules.push({ modulePath, dir });
      try {
        const st = await vscode.workspace.fs.stat(vscode.Uri.joinPath(uri, '..', 'vendor'));
        if (st.type & vscode.FileType.Directory) vendorDirs.push(vscode.Uri.joinPath(uri, '..', 'vendor').fsPath);
      } catch {
        // no vendor folder
      }
    }
    return {
      workspaceFolders: folders,
      modules,
      vendorDirs,
      goroot: env.GOROOT || undefined,
      gopath: (env.GOPATH ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean),
      modCache: env.GOMODCACHE || undefined,
      rewrites: readRewrites(folders[0]),
      workspaceFiles: goFiles.map((u) => u.fsPath),
    };
  }

  getRoots(): Promise<SourceRoots> {
    this.roots ??= this.buildRoots();
    return this.roots;
  }

  resolve(buildPath: string): Promise<Resolution> {
    let r = this.cache.get(buildPath);
    if (!r) {
      r = this.getRoots().then((roots) => resolveSourcePath(buildPath, roots, exists));
      this.cache.set(buildPath, r);
    }
    return r;
  }

  /**
   * Opens the file of a frame at its line, or explains why not and offers the setting. `profile`: the capture the
   * frame is from; its sidecar (capture metadata) names the Go version and the main modules' version.
   */
  async open(buildPath: string, line: number, name: string, profile?: string): Promise<boolean> {
    if (!buildPath) {
      void vscode.window.showInformationMessage(`${name} has no source file in this profile.`);
      return false;
    }
    const meta = profile ? parseCaptureMeta(await readFile(sidecarPath(profile), 'utf8').catch(() => '')) : {};
    const mainModules: ModuleVersion[] = [];
    for (const m of meta.mainModules ?? []) {
      try {
        mainModules.push(parseModuleVersion(m));
      } catch {
        // malformed: left out
      }
    }
    const origin = classifyBuildPath(buildPath, mainModules);
    // A standard-library file of another Go version than the local one would open the wrong lines.
    const otherGo = origin.kind === 'stdlib' && !!meta.goVersion && meta.goVersion !== (await this.localGoVersion());
    const r: Resolution = otherGo ? { found: false, tried: [] } : await this.resolve(buildPath);
    if (!r.found) {
      let target: { mv: ModuleVersion; rel: string } | undefined;
      if (origin.kind === 'module' || origin.kind === 'main') target = { mv: { path: origin.module, version: origin.version }, rel: origin.rel };
      else if (origin.kind === 'stdlib' && meta.goVersion) target = { mv: toolchainModule(meta.goVersion), rel: `src/${origin.rel}` };
      else if (origin.kind === 'unknown' && profile) target = await this.askMainModule(buildPath, profile, meta);
      if (target && (await this.openFetched(buildPath, line, target.mv, target.rel))) return true;
      const choice = await vscode.window.showWarningMessage(
        `No file in the workspace or the Go roots matches ${buildPath}. Add a prefix rewrite in "etcdProfiler.${REWRITES_SETTING}" to map this build path to your checkout.`,
        'Open Setting',
      );
      if (choice === 'Open Setting') await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${REWRITES_SETTING}`);
      return false;
    }
    await showAt(vscode.Uri.file(r.path), line);
    return true;
  }

  /** Captures whose main module the user was asked for and declined, this session: asked once. */
  private readonly declined = new Set<string>();

  /**
   * A -trimpath main-module path (`go.etcd.io/etcd/server/v3/etcdserver/server.go`, no version) of a capture whose
   * sidecar names no main module: asks once for `PATH@VERSION` and remembers the answer in the capture's sidecar.
   */
  private async askMainModule(buildPath: string, profile: string, meta: CaptureMeta): Promise<{ mv: ModuleVersion; rel: string } | undefined> {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+\//.test(buildPath) || buildPath.includes('@') || this.declined.has(profile)) return undefined;
    if (!getConfig().get<boolean>(FETCH_SETTING, true) || !vscode.workspace.isTrusted) return undefined;
    const check = (v: string): string | undefined => {
      try {
        const mv = parseModuleVersion(v.trim());
        return buildPath.startsWith(mv.path + '/') ? undefined : `${buildPath} is not a file of ${mv.path}.`;
      } catch (err) {
        return `${(err as Error).message}: give the module path and version, e.g. go.etcd.io/etcd/server/v3@v3.5.21.`;
      }
    };
    const value = `${buildPath.slice(0, buildPath.lastIndexOf('/'))}@v`;
    const answer = await vscode.window.showInputBox({
      title: 'Main module version',
      prompt: `${buildPath} has no version in its path: it is the binary's main module. Which module and version built it? Remembered for this capture.`,
      placeHolder: 'go.etcd.io/etcd/server/v3@v3.5.21',
      value,
      // The cursor after `@v`: the version is what is missing; the path may need shortening to the module's.
      valueSelection: [value.length, value.length],
      ignoreFocusOut: true,
      validateInput: check,
    });
    if (!answer || check(answer)) {
      this.declined.add(profile);
      return undefined;
    }
    const mv = parseModuleVersion(answer.trim());
    const updated: CaptureMeta = { ...meta, mainModules: [...(meta.mainModules ?? []), `${mv.path}@${mv.version}`] };
    await writeFile(sidecarPath(profile), JSON.stringify(updated, null, 2) + '\n', { mode: 0o600 }).catch(() => undefined);
    return { mv, rel: buildPath.slice(mv.path.length + 1) };
  }

  private localGo?: Promise<string>;
  private localGoVersion(): Promise<string> {
    this.localGo ??= readGoFetchEnv(process.env).then((e) => e.GOVERSION.split(/\s/)[0]);
    return this.localGo;
  }

  /**
   * Fetches module `mv` at its exact version (progress, cancellable) and opens `rel` in it read-only. Returns false
   * when fetching is off; true once the file opened or the user was told why not.
   */
  private async openFetched(buildPath: string, line: number, mv: ModuleVersion, rel: string): Promise<boolean> {
    if (!getConfig().get<boolean>(FETCH_SETTING, true)) return false;
    const id = `${mv.path}@${mv.version}`;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(`${buildPath} is not on this machine. Fetching ${id} is off in Restricted Mode: trust the folder, or map the build path in "etcdProfiler.${REWRITES_SETTING}".`);
      return true;
    }
    const what = mv.path === 'golang.org/toolchain' ? `the Go ${mv.version.replace(/^v0\.0\.1-(go[^.]+\.[^.]+(\.\d+)?).*$/, '$1')} standard library (${id})` : id;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Fetching ${what} (the exact version that built the binary)…`, cancellable: true },
      async (_progress, token): Promise<FetchResult | undefined> => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        try {
          const env = await readGoFetchEnv(process.env);
          return (await fetchModules([mv], { cacheDir: this.sourceCache, env, signal: controller.signal })).get(id);
        } finally {
          sub.dispose();
        }
      },
    );
    if (!result || !result.ok) {
      if (result?.error.kind === 'cancelled') return true;
      const why = result?.error.message ?? `${id} was not fetched`;
      const choice = await vscode.window.showWarningMessage(
        result?.error.kind === 'refused'
          ? why
          : `${why}. Offline, or the module proxy is not reachable? Map ${buildPath} to a checkout in "etcdProfiler.${REWRITES_SETTING}".`,
        'Open Setting',
      );
      if (choice === 'Open Setting') await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${REWRITES_SETTING}`);
      return true;
    }
    const file = join(result.dir, ...rel.split('/'));
    if (!(await isFile(file))) {
      void vscode.window.showWarningMessage(`${id} has no file ${rel}: map ${buildPath} to a checkout in "etcdProfiler.${REWRITES_SETTING}".`);
      return true;
    }
    const doc = await showAt(sourceDocumentUri(file, mv.path, mv.version), line);
    if (doc && file.endsWith('.go') && doc.languageId !== 'go') await vscode.languages.setTextDocumentLanguage(doc, 'go');
    if (mv.path.startsWith('go.etcd.io/etcd/') && !this.forkNoteShown) {
      this.forkNoteShown = true;
      void vscode.window.showInformationMessage(
        `Opened ${id} from the Go module proxy, read-only. OpenShift builds etcd from its own fork: if this binary is OpenShift's etcd, its source may differ from the upstream tag.`,
      );
    }
    return true;
  }
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((st) => st.isFile(), () => false);
}

async function showAt(uri: vscode.Uri, line: number): Promise<vscode.TextDocument | undefined> {
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  const editor = await vscode.window.showTextDocument(uri, {
    viewColumn: vscode.ViewColumn.Beside,
    selection: new vscode.Range(pos, pos),
    preserveFocus: false,
  });
  return editor.document;
}
