// Fetched source (the exact module version that built the binary) opened read-only under a URI whose last path
// segment is a title, so the tab says `backend.go — go.etcd.io∕etcd∕server∕v3@v3.6.16`:
// `etcd-source:/<title>?<absolute file path>`, a read-only file system over the fetched-source cache (nothing
// outside it is read).
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import * as vscode from 'vscode';

export const SOURCE_SCHEME = 'etcd-source';

/** `backend.go — go.etcd.io∕etcd∕server∕v3@v3.6.16` (a division slash: a title segment holds no `/`). */
export function sourceTitle(file: string, module: string, version: string): string {
  return `${basename(file)} — ${module.replace(/\//g, '\u2215')}@${version}`;
}

export function sourceDocumentUri(file: string, module: string, version: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SOURCE_SCHEME, path: `/${sourceTitle(file, module, version).replace(/[\\]/g, '_')}`, query: file });
}

export class SourceFileSystem implements vscode.FileSystemProvider {
  private readonly root: string;
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  constructor(root: string) {
    this.root = resolve(root);
  }

  static register(ctx: vscode.ExtensionContext, root: string): void {
    const fs = new SourceFileSystem(root);
    ctx.subscriptions.push(fs.emitter, vscode.workspace.registerFileSystemProvider(SOURCE_SCHEME, fs, { isReadonly: true, isCaseSensitive: true }));
  }

  private file(uri: vscode.Uri): string {
    const file = resolve(uri.query);
    if (!uri.query || !file.startsWith(this.root + sep)) throw vscode.FileSystemError.NoPermissions(`${uri.query} is not in the fetched-source cache ${this.root}`);
    return file;
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    try {
      const s = await stat(this.file(uri));
      return { type: vscode.FileType.File, ctime: s.ctimeMs, mtime: s.mtimeMs, size: s.size, permissions: vscode.FilePermission.Readonly };
    } catch (err) {
      if (err instanceof vscode.FileSystemError) throw err;
      throw vscode.FileSystemError.FileNotFound(uri);
    }
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    try {
      return await readFile(this.file(uri));
    } catch (err) {
      if (err instanceof vscode.FileSystemError) throw err;
      throw vscode.FileSystemError.FileNotFound(uri);
    }
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
}
