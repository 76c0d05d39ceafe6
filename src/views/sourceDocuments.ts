// Fetched source (the exact module version that built the binary) opened read-only under a URI whose last path
// segment is a title, so the tab says `backend.go — go.etcd.io∕etcd∕server∕v3@v3.6.16`:
// `etcd-source:/<title>?<absolute file path>`, a read-only file system over the fetched-source cache (nothing
// outside it is read).
import { basename, resolve } from 'node:path';
import * as vscode from 'vscode';
import { FolderFileSystem, ReadOnlyFileSystem } from './readOnlyFs.ts';

export const SOURCE_SCHEME = 'etcd-source';

/** `backend.go — go.etcd.io∕etcd∕server∕v3@v3.6.16` (a division slash: a title segment holds no `/`). */
export function sourceTitle(file: string, module: string, version: string): string {
  return `${basename(file)} — ${module.replace(/\//g, '\u2215')}@${version}`;
}

export function sourceDocumentUri(file: string, module: string, version: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SOURCE_SCHEME, path: `/${sourceTitle(file, module, version).replace(/[\\]/g, '_')}`, query: file });
}

/** The fetched-source cache, read-only (`etcd-source:`). */
export class SourceFileSystem {
  static register(ctx: vscode.ExtensionContext, root: string): void {
    const folder = resolve(root);
    ReadOnlyFileSystem.registerAs(ctx, SOURCE_SCHEME, new FolderFileSystem(() => folder, 'the fetched-source cache'));
  }
}
