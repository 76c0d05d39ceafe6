// Files of a profiling bundle opened where they are, without unpacking: a read-only file system for the scheme
// `etcd-bundle`. `etcd-bundle:/<namespace>/<pod>/<item>-<pod><ext>?<bundle path>` is the bundle's
// `<namespace>/<pod>/<item><ext>`; the pod in the name tells tabs apart (and `goroutine-debug2-<pod>.txt` gets
// the Goroutine Dump language like a capture). Bundles are read once and kept while a file of theirs is used.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { readBundle, type OpenedBundle } from '../../capture/bundleRead.ts';
import { entryOf, shownName } from './bundleNames.ts';
import { ReadOnlyFileSystem } from '../readOnlyFs.ts';

export const BUNDLE_SCHEME = 'etcd-bundle';

export function bundleUri(bundleFile: string, entry: string): vscode.Uri {
  const parts = entry.split('/');
  const path = parts.length === 3 ? `/${parts[0]}/${parts[1]}/${shownName(parts[2], parts[1])}` : `/${entry}`;
  return vscode.Uri.from({ scheme: BUNDLE_SCHEME, path, query: bundleFile });
}

export class BundleFileSystem extends ReadOnlyFileSystem {
  private readonly bundles = new Map<string, Promise<OpenedBundle>>();

  static register(ctx: vscode.ExtensionContext): BundleFileSystem {
    const fs = new BundleFileSystem();
    ReadOnlyFileSystem.registerAs(ctx, BUNDLE_SCHEME, fs);
    return fs;
  }

  /** Reads (once) and returns the bundle at `file`. */
  open(file: string): Promise<OpenedBundle> {
    let p = this.bundles.get(file);
    if (!p) {
      p = readFile(file).then((data) => readBundle(data, basename(file)));
      this.bundles.set(file, p);
      p.catch(() => this.bundles.delete(file));
    }
    return p;
  }

  private async data(uri: vscode.Uri): Promise<Uint8Array> {
    const entry = entryOf(uri.path);
    if (!entry || !uri.query) throw vscode.FileSystemError.FileNotFound(uri);
    const bundle = await this.open(uri.query).catch((err: unknown) => {
      throw vscode.FileSystemError.Unavailable(`${uri.query}: ${(err as Error).message}`);
    });
    if (entry === 'manifest.json') return Buffer.from(JSON.stringify(bundle.manifest, null, 2) + '\n');
    const data = bundle.files.get(entry);
    if (!data) throw vscode.FileSystemError.FileNotFound(uri);
    return data;
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const data = await this.data(uri);
    return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: data.length, permissions: vscode.FilePermission.Readonly };
  }

  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.data(uri);
  }
}
