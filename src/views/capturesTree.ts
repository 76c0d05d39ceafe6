// The Captures view: saved profiles and dumps under the captures folder, by context / namespace / pod, newest
// first; a click opens the file with `vscode.open` (the profile editor registers for the binary ones).
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { captureDocumentUri } from './captureDocuments.ts';
import { captureTree, formatSize, listCaptureFiles, resolveCapturesFolder, type CaptureFile, type CaptureFolderNode } from './captureFiles.ts';
import { ConfigKey, affects, getConfig } from './config.ts';
import { RECORDING_INDEX } from '../profile/recordingIndex.ts';

export type CaptureTreeNode = { type: 'folder'; node: CaptureFolderNode } | { type: 'file'; file: CaptureFile };

/** The captures folder per the setting, the first workspace folder and the extension's global storage. */
export function capturesFolder(ctx: vscode.ExtensionContext): vscode.Uri {
  const ws = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  return vscode.Uri.file(resolveCapturesFolder(getConfig().get<string>(ConfigKey.capturesFolder), ws, ctx.globalStorageUri.fsPath));
}

function fileIcon(path: string): string {
  if (/goroutine-debug[12]-/.test(basename(path)) || path.endsWith('.txt')) return 'list-tree';
  if (path.endsWith('.trace')) return 'pulse';
  return 'flame';
}

export class CapturesTreeProvider implements vscode.TreeDataProvider<CaptureTreeNode>, vscode.Disposable {
  static readonly viewId = 'etcdProfiler.captures';

  static setup(ctx: vscode.ExtensionContext, output: vscode.LogOutputChannel): CapturesTreeProvider {
    const provider = new CapturesTreeProvider(ctx, output);
    const view = vscode.window.createTreeView(CapturesTreeProvider.viewId, { treeDataProvider: provider, showCollapseAll: true });
    ctx.subscriptions.push(
      provider,
      view,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, ConfigKey.capturesFolder)) provider.rewatch();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => provider.rewatch()),
    );
    provider.rewatch();
    return provider;
  }

  private readonly ctx: vscode.ExtensionContext;
  private readonly output: vscode.LogOutputChannel;
  private readonly changed = new vscode.EventEmitter<CaptureTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private folder: vscode.Uri;

  constructor(ctx: vscode.ExtensionContext, output: vscode.LogOutputChannel) {
    this.ctx = ctx;
    this.output = output;
    this.folder = capturesFolder(ctx);
  }

  /** The folder captures are saved to and listed from. */
  get root(): vscode.Uri {
    return this.folder;
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Re-resolves the folder and watches it for new, changed and deleted files. */
  rewatch(): void {
    this.folder = capturesFolder(this.ctx);
    this.watcher?.dispose();
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(this.folder, '**/*'));
    const later = () => {
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => this.refresh(), 300);
    };
    this.watcher.onDidCreate(later);
    this.watcher.onDidDelete(later);
    this.watcher.onDidChange(later);
    this.refresh();
  }

  async getChildren(node?: CaptureTreeNode): Promise<CaptureTreeNode[]> {
    if (node?.type === 'file') return [];
    let folderNode: CaptureFolderNode;
    if (node) {
      folderNode = node.node;
    } else {
      try {
        folderNode = captureTree(await listCaptureFiles(this.folder.fsPath));
      } catch (err) {
        this.output.error(`Cannot list captures in ${this.folder.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
        folderNode = captureTree([]);
      }
      await vscode.commands.executeCommand('setContext', 'etcdProfiler.hasCaptures', folderNode.folders.length + folderNode.files.length > 0);
    }
    // A recording's "Timeline" (its index) comes first in its folder, above the pods' captures.
    const isIndex = (f: { path: string }) => basename(f.path) === RECORDING_INDEX;
    const file = (f: (typeof folderNode.files)[number]): CaptureTreeNode => ({ type: 'file', file: f });
    return [
      ...folderNode.files.filter(isIndex).map(file),
      ...folderNode.folders.map((n): CaptureTreeNode => ({ type: 'folder', node: n })),
      ...folderNode.files.filter((f) => !isIndex(f)).map(file),
    ];
  }

  getTreeItem(node: CaptureTreeNode): vscode.TreeItem {
    if (node.type === 'folder') {
      const item = new vscode.TreeItem(node.node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `dir:${node.node.segments.join('/')}`;
      // No resourceUri: VS Code would paint a git-ignored `.profiles` grey (the captures are the point here).
      item.iconPath = new vscode.ThemeIcon('folder');
      item.contextValue = 'captureFolder';
      return item;
    }
    const { file } = node;
    const uri = vscode.Uri.file(file.path);
    const item = new vscode.TreeItem(basename(file.path), vscode.TreeItemCollapsibleState.None);
    item.id = `file:${file.path}`;
    item.iconPath = new vscode.ThemeIcon(fileIcon(file.path));
    item.description = `${formatSize(file.size)} · ${new Date(file.mtimeMs).toLocaleString()}`;
    item.tooltip = file.path;
    item.contextValue = 'capture';
    // Dumps open under their title (kind · pod · time), like a fresh capture; profiles by their file.
    const titled = file.path.endsWith('.txt') ? captureDocumentUri(file.path) : undefined;
    item.command = { command: 'vscode.open', title: 'Open capture', arguments: [titled ?? uri] };
    if (basename(file.path) === RECORDING_INDEX) {
      // A recording's index opens its timeline; the captures beside it open as usual.
      item.label = 'Timeline';
      item.iconPath = new vscode.ThemeIcon('graph-line');
      item.contextValue = 'recording';
      item.command = { command: 'etcdProfiler.openTimeline', title: 'Open Timeline', arguments: [uri] };
    }
    return item;
  }

  dispose(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.watcher?.dispose();
    this.changed.dispose();
  }
}
