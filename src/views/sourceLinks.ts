// Opens the source of a profile frame: gathers the roots (workspace folders, go.mod modules,
// vendor folders, GOROOT/GOPATH/module cache, `etcdProfiler.sourcePathRewrites`) and lets the
// pure resolver in sourceMap.ts pick a file inside them. Nothing outside those roots is opened.
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { getConfig, SECTION } from './config.ts';
import { parseModulePath, resolveSourcePath, type PathRewrite, type Resolution, type SourceRoots, type WorkspaceModule } from '../source/sourceMap.ts';

export const REWRITES_SETTING = 'sourcePathRewrites';
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

  constructor() {
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
    if (!r.found) {
      const choice = await vscode.window.showWarningMessage(
        `No file in the workspace or the Go roots matches ${buildPath}. Add a prefix rewrite in "etcdProfiler.${REWRITES_SETTING}" to map this build path to your checkout.`,
        'Open Setting',
      );
      if (choice === 'Open Setting') await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${REWRITES_SETTING}`);
      return false;
    }
    const pos = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(vscode.Uri.file(r.path), {
      viewColumn: vscode.ViewColumn.Beside,
      selection: new vscode.Range(pos, pos),
      preserveFocus: false,
    });
    return true;
  }
}
