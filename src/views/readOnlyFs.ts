// Read-only file systems for documents the extension shows under a title of their own (captures, fetched source,
// files inside a bundle): every write is refused, nothing is listed or watched.
import { readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import * as vscode from 'vscode';

/** Refuses writes; subclasses give `stat` and `readFile`. */
export abstract class ReadOnlyFileSystem implements vscode.FileSystemProvider {
  protected readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  abstract stat(uri: vscode.Uri): Promise<vscode.FileStat>;
  abstract readFile(uri: vscode.Uri): Promise<Uint8Array>;

  /** Registers `fs` for `scheme` (read-only, case-sensitive) for the extension's lifetime. */
  static registerAs(ctx: vscode.ExtensionContext, scheme: string, fs: ReadOnlyFileSystem): void {
    ctx.subscriptions.push(fs.emitter, vscode.workspace.registerFileSystemProvider(scheme, fs, { isReadonly: true, isCaseSensitive: true }));
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

/**
 * Files of one folder on disk, `<scheme>:/<title>?<absolute file path>`: the URI's path is only the tab's title,
 * its query the file, which must lie under the folder (nothing outside it is read).
 */
export class FolderFileSystem extends ReadOnlyFileSystem {
  private readonly root: () => string;
  private readonly what: string;

  /** `what` names the folder in messages: "the captures folder". */
  constructor(root: () => string, what: string) {
    super();
    this.root = root;
    this.what = what;
  }

  /** The file behind `uri`, only when it lies under the folder. */
  private file(uri: vscode.Uri): string {
    const file = resolve(uri.query);
    const root = resolve(this.root());
    if (!uri.query || !file.startsWith(root + sep)) throw vscode.FileSystemError.NoPermissions(`${uri.query} is not in ${this.what} ${root}`);
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
}
