// Saved text captures (goroutine dumps) opened under a URI whose last path segment is a title, so the editor
// tab says `goroutines debug=2 · etcd-master-0 · 09:07` instead of `goroutine-debug2-2026-…txt`:
// `etcd-capture:/<title>?<absolute file path>`, a read-only file system over the captures folder (nothing
// outside it is read). The file on disk keeps its name and layout.
import * as vscode from 'vscode';
import { captureTitle } from '../capture/save.ts';
import { FolderFileSystem, ReadOnlyFileSystem } from './readOnlyFs.ts';

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

/** The captures folder, read-only (`etcd-capture:`). */
export class CaptureFileSystem {
  static register(ctx: vscode.ExtensionContext, root: () => string): void {
    ReadOnlyFileSystem.registerAs(ctx, CAPTURE_SCHEME, new FolderFileSystem(root, 'the captures folder'));
  }
}
