// "Download File from Pod…": one file out of a container (the runbook's `oc rsync` step) by exec `cat`, streamed to
// a 0600 temp file beside the target and renamed when complete; nothing is held in memory beyond a 64 KiB head.
// Private keys are the one thing the extension otherwise never writes: a path or content that looks like key
// material stops the download (before any byte reaches disk) until the caller has asked the user.
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from '../cluster/errors.ts';
import { execInPod } from '../cluster/exec.ts';
import { FILE_MODE, FOLDER_MODE, tempPathFor } from './save.ts';

/** Bytes kept in memory before anything is written: a key file is smaller, so its content is checked first. */
const HEAD_BYTES = 64 * 1024;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** Longest PEM header, carried over between chunks so a header split across two is still seen. */
const CARRY = 64;

/** Why a path inside a container looks like key material, or undefined. */
export function keyMaterialReasonForPath(remotePath: string): string | undefined {
  const base = path.posix.basename(remotePath);
  if (/\.key$/i.test(base)) return `${base} is a *.key file`;
  if (/(^|\/)etcd-all-certs(\/|$)/.test(remotePath)) return `${remotePath} is in etcd-all-certs, which holds etcd's private keys`;
  if (/private|\.pem$|(^|\/)pki\//i.test(remotePath) && !/\.(crt|cert)$/i.test(base)) return `${remotePath} may hold a private key`;
  return undefined;
}

/** True when the bytes hold a PEM private key header (RSA, EC, PKCS#8, encrypted, OpenSSH). */
export function containsPrivateKey(bytes: Uint8Array): boolean {
  return PEM_PRIVATE_KEY.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

/** The download stopped because the file looks like key material and the caller has not allowed it. */
export class KeyMaterialError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`Not downloaded: ${reason}. Confirm to write it to disk.`);
    this.name = 'KeyMaterialError';
    this.reason = reason;
  }
}

export interface DownloadRequest {
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  container?: string;
  /** Absolute path inside the container. */
  remotePath: string;
  /** Local file to write (replaced when it exists, as the save dialog confirmed). */
  dest: string;
  /** The user confirmed that this file may be key material. */
  allowKeyMaterial?: boolean;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
}

/** Streams the file to `dest` (mode 0600; folders created 0700). Throws KeyMaterialError before writing a byte. */
export async function downloadFromPod(req: DownloadRequest): Promise<{ file: string; bytes: number }> {
  if (!req.allowKeyMaterial) {
    const reason = keyMaterialReasonForPath(req.remotePath);
    if (reason) throw new KeyMaterialError(reason);
  }
  await mkdir(path.dirname(req.dest), { recursive: true, mode: FOLDER_MODE });
  const temp = tempPathFor(req.dest);
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  let fh: FileHandle | undefined;
  let head: Buffer[] | undefined = [];
  let headBytes = 0;
  let bytes = 0;
  let tail = Buffer.alloc(0);
  let keyFound = false;

  const write = async (chunk: Buffer): Promise<void> => {
    fh ??= await open(temp, 'wx', FILE_MODE);
    await fh.write(chunk);
  };
  const onStdout = async (chunk: Buffer): Promise<void> => {
    bytes += chunk.length;
    req.onBytes?.(bytes);
    if (!req.allowKeyMaterial) {
      const window = Buffer.concat([tail, chunk]);
      if (containsPrivateKey(window)) {
        keyFound = true;
        abort.abort();
        throw new KeyMaterialError(`${path.posix.basename(req.remotePath)} holds a PEM private key`);
      }
      tail = window.subarray(Math.max(0, window.length - CARRY));
    }
    if (head) {
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes < HEAD_BYTES) return;
      const held = Buffer.concat(head);
      head = undefined;
      await write(held);
      return;
    }
    await write(chunk);
  };

  try {
    const result = await execInPod({
      kubeConfig: req.kubeConfig,
      namespace: req.namespace,
      pod: req.pod,
      container: req.container,
      command: ['cat', req.remotePath],
      signal: abort.signal,
      onStdout,
      discardStdout: true,
      maxBytes: Number.MAX_SAFE_INTEGER,
    });
    if (result.exitCode !== 0) {
      const why = (result.failure ?? result.stderr).trim() || `exit code ${result.exitCode}`;
      throw new ClusterError('failed', `Cannot read ${req.remotePath} in ${req.namespace}/${req.pod}${req.container ? ` (container ${req.container})` : ''}: ${why}`);
    }
    if (head) await write(Buffer.concat(head));
    await fh!.sync();
    await fh!.close();
    fh = undefined;
    await rename(temp, req.dest);
    return { file: req.dest, bytes };
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await rm(temp, { force: true });
    if (keyFound) throw new KeyMaterialError(`${path.posix.basename(req.remotePath)} holds a PEM private key`);
    throw err;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
}
