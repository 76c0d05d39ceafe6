// Opens the source of a profile frame: gathers the roots (workspace folders, go.mod modules,
// vendor folders, GOROOT/GOPATH/module cache, `etcdProfiler.sourcePathRewrites`) and lets the
// pure resolver in sourceMap.ts pick a file inside them. Nothing outside those roots is opened.
// A dependency frame (`module@version/…` in its build path) found nowhere is fetched at that exact version
// (src/source: the go command, else the module proxy with the checksum database), with cancellable progress,
// into the extension's storage, and opened read-only with `module@version` in the tab title.
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { fetchModules, type FetchResult } from '../source/fetchModule.ts';
import { readGoFetchEnv } from '../source/goEnv.ts';
import { classifyBuildPath } from '../source/modules.ts';
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

  /** Opens the file of a frame at its line, or explains why not and offers the setting. */
  async open(buildPath: string, line: number, name: string): Promise<boolean> {
    if (!buildPath) {
      void vscode.window.showInformationMessage(`${name} has no source file in this profile.`);
      return false;
    }
    const r = await this.resolve(buildPath);
    if (!r.found && (await this.openFetched(buildPath, line))) return true;
    if (!r.found) {
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

  /**
   * For a dependency frame: fetches its module at the exact version (progress, cancellable) and opens the file
   * read-only. Returns false when the frame names no module version or fetching is off; says why when it fails.
   */
  private async openFetched(buildPath: string, line: number): Promise<boolean> {
    const origin = classifyBuildPath(buildPath);
    if (origin.kind !== 'module' || !getConfig().get<boolean>(FETCH_SETTING, true)) return false;
    const mv = { path: origin.module, version: origin.version };
    const id = `${mv.path}@${mv.version}`;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(`${buildPath} is not on this machine. Fetching ${id} is off in Restricted Mode: trust the folder, or map the build path in "etcdProfiler.${REWRITES_SETTING}".`);
      return true;
    }
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Fetching ${id} (the exact version that built the binary)…`, cancellable: true },
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
    const file = join(result.dir, ...origin.rel.split('/'));
    if (!file.startsWith(result.dir)) return false;
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

async function showAt(uri: vscode.Uri, line: number): Promise<vscode.TextDocument | undefined> {
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  const editor = await vscode.window.showTextDocument(uri, {
    viewColumn: vscode.ViewColumn.Beside,
    selection: new vscode.Range(pos, pos),
    preserveFocus: false,
  });
  return editor.document;
}
