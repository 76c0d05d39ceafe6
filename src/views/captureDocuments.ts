// Saved text captures (goroutine dumps) opened under a URI whose last path segment is a title, so the editor
// tab says `goroutines debug=2 · etcd-master-0 · 09:07` instead of `goroutine-debug2-2026-…txt`:
// `etcd-capture:/<title>?<absolute file path>`, a read-only file system over the captures folder (nothing
// outside it is read). The file on disk keeps its name and layout.
import { readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import * as vscode from 'vscode';
import { captureTitle } from '../capture/save.ts';

export const CAPTURE_SCHEME = 'etcd-capture';

/** The titled URI of a capture file, or undefined when the file is not named like a capture. */
export function captureDocumentUri(file: string): vscode.Uri | undefined {
  const title = captureTitle(file);
  return title ? vscode.Uri.from({ scheme: CAPTURE_SCHEME, path: `/${title.replace(/[/\\]/g, '_')}`, query: file }) : undefined;
}

/** The file behind a document URI: the capture file for `etcd-capture:`, the path for `file:`. */
export function fileOf(uri: vscode.Uri): string | undefined {
  if (uri.scheme === CAPTURE_SCHEME) return uri.query;
  return uri.scheme === 'file' ? uri.fsPath : undefined;
}

export class CaptureFileSystem implements vscode.FileSystemProvider {
  private readonly root: () => string;
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  constructor(root: () => string) {
    this.root = root;
  }

  static register(ctx: vscode.ExtensionContext, root: () => string): void {
    const fs = new CaptureFileSystem(root);
    ctx.subscriptions.push(fs.emitter, vscode.workspace.registerFileSystemProvider(CAPTURE_SCHEME, fs, { isReadonly: true, isCaseSensitive: true }));
  }

  /** The capture file of `uri`, only when it lies under the captures folder. */
  private file(uri: vscode.Uri): string {
    const file = resolve(uri.query);
    const root = resolve(this.root());
    if (!uri.query || !file.startsWith(root + sep)) throw vscode.FileSystemError.NoPermissions(`${uri.query} is not under the captures folder ${root}`);
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
