// Runs a command in a container through the API server (client-node Exec) and returns its binary stdout,
// its stderr and its exit code. Abortable: the WebSocket is closed, which ends the remote process's streams.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Exec, type KubeConfig } from '@kubernetes/client-node';
import { ClusterError, toClusterError } from './errors.ts';

export interface ExecOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
  signal?: AbortSignal;
  /**
   * Called with each stdout chunk as it arrives; the next chunk waits for a returned promise (a slow disk slows the
   * stream). The chunks are also returned unless `discardStdout` is set.
   */
  onStdout?: (chunk: Buffer) => void | Promise<void>;
  /** Do not keep stdout in memory (the caller streams it somewhere through `onStdout`). */
  discardStdout?: boolean;
  /** Stdout larger than this aborts the command (default 1 GiB). */
  maxBytes?: number;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: string;
  /** The command's exit code; 127 when the runtime could not start it. */
  exitCode: number;
  /** The runtime's message when the command failed without an exit code (e.g. "executable file not found"). */
  failure?: string;
}

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

function exitCodeOf(status: ExecStatus): { exitCode: number; failure?: string } {
  if (status.status === 'Success') return { exitCode: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message && /^\d+$/.test(cause.message)) return { exitCode: Number(cause.message) };
  return { exitCode: 127, failure: status.message ?? status.reason ?? 'command failed' };
}

function abortError(): Error {
  const err = new Error('Cancelled');
  err.name = 'AbortError';
  return err;
}

interface WsLike {
  on(event: 'close', cb: () => void): unknown;
  on(event: 'error', cb: (err: Error) => void): unknown;
  close(): void;
}

export async function execInPod(options: ExecOptions): Promise<ExecResult> {
  const { signal } = options;
  if (signal?.aborted) throw abortError();
  const max = options.maxBytes ?? 1 << 30;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let status: ExecStatus | undefined;
  let tooBig = false;
  let sinkError: unknown;
  let ws: WsLike | undefined;

  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      outBytes += chunk.length;
      if (outBytes > max || sinkError) {
        tooBig = !sinkError;
        ws?.close();
        cb();
        return;
      }
      if (!options.discardStdout) out.push(chunk);
      let pending: void | Promise<void>;
      try {
        pending = options.onStdout?.(chunk);
      } catch (e) {
        sinkError = e;
        ws?.close();
        cb();
        return;
      }
      if (!pending) {
        cb();
        return;
      }
      pending.then(
        () => cb(),
        (e: unknown) => {
          sinkError = e;
          ws?.close();
          cb();
        },
      );
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (err.length < 256) err.push(chunk);
      cb();
    },
  });

  const exec = new Exec(options.kubeConfig);
  try {
    ws = (await exec.exec(
      options.namespace,
      options.pod,
      options.container ?? '',
      options.command,
      stdout,
      stderr,
      null,
      false,
      (s) => {
        status = s as ExecStatus;
      },
    )) as unknown as WsLike;
  } catch (e) {
    throw toClusterError(e, { verb: 'create', resource: 'pods/exec', namespace: options.namespace, name: options.pod });
  }

  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      ws?.close();
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    ws!.on('error', () => undefined);
    ws!.on('close', async () => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return;
      // Output received before the close may still be queued in `stdout` (an async onStdout sink writing to
      // disk): let it drain, or the caller sees a truncated stream.
      if (!stdout.writableEnded) stdout.end();
      await finished(stdout).catch(() => undefined);
      if (signal?.aborted) return;
      if (sinkError) {
        reject(sinkError instanceof Error ? sinkError : new Error(String(sinkError)));
      } else if (tooBig) {
        reject(new ClusterError('failed', `Output of \`${options.command[0]}\` exceeded ${max} bytes; stopped.`));
      } else if (!status) {
        reject(
          new ClusterError(
            'connection-dropped',
            `The exec connection to ${options.namespace}/${options.pod} dropped before \`${options.command[0]}\` finished (pod deleted or restarted?).`,
          ),
        );
      } else {
        resolve();
      }
    });
  });
  const { exitCode, failure } = exitCodeOf(status!);
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), exitCode, failure };
}

/** Reads a file from a container with `cat` (the runbook's `oc rsync` step for one file). */
export async function readFileInPod(
  options: Omit<ExecOptions, 'command' | 'onStdout'> & { path: string },
): Promise<Buffer> {
  const result = await execInPod({ ...options, command: ['cat', options.path] });
  if (result.exitCode !== 0) {
    const why = (result.failure ?? result.stderr).trim() || `exit code ${result.exitCode}`;
    throw new ClusterError('failed', `Cannot read ${options.path} in ${options.namespace}/${options.pod}${options.container ? ` (container ${options.container})` : ''}: ${why}`);
  }
  return result.stdout;
}
