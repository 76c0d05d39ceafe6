// `etcd-profiler capture --kubeconfig K [--context C] -n NAMESPACE POD KIND [--seconds N] [-o FILE]`:
// the same capture the extension runs, headless. Prints the saved file's path on stdout; progress and
// errors on stderr. Ctrl-C cancels (nothing is saved). A profile gets the extension's metadata sidecar (image, etcd
// and Go versions, for `etcd-profiler source`) unless --no-metadata.
import { parseArgs } from 'node:util';
import type { CaptureMethod } from './capture.ts';
import { CAPTURE_KINDS, captureKind } from './kinds.ts';

export const CAPTURE_USAGE = `Usage: etcd-profiler capture --kubeconfig FILE [--context NAME] -n NAMESPACE POD KIND
         [--seconds N] [-o FILE] [--folder DIR] [--method auto|forward|exec] [--port N] [--insecure-skip-verify]
         [--no-metadata]
KIND: ${CAPTURE_KINDS.map((k) => k.id).join(', ')}
Without -o the file goes to DIR/<context>/<namespace>/<pod>/<kind>-<UTC time>.<ext> (DIR default .profiles).
A profile's container image, etcd and Go versions go to a sidecar .<file>.meta.json beside it, which
\`etcd-profiler source\` reads; --no-metadata skips it.`;

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** Lines to the process's stdout and stderr: the default of every CLI command. */
export const defaultIo: CliIo = {
  stdout: (l) => process.stdout.write(l + '\n'),
  stderr: (l) => process.stderr.write(l + '\n'),
};

export async function runCaptureCommand(argv: string[], io: CliIo = defaultIo, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        seconds: { type: 'string' },
        output: { type: 'string', short: 'o' },
        folder: { type: 'string' },
        method: { type: 'string' },
        port: { type: 'string' },
        'insecure-skip-verify': { type: 'boolean' },
        'no-metadata': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${CAPTURE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(CAPTURE_USAGE);
    return 0;
  }
  if (positionals.length !== 2 || !values.namespace) {
    io.stderr(CAPTURE_USAGE);
    return 2;
  }
  const [pod, kindId] = positionals;
  const method = (values.method ?? 'auto') as CaptureMethod;
  if (!['auto', 'forward', 'exec'].includes(method)) {
    io.stderr(`--method must be auto, forward or exec.\n${CAPTURE_USAGE}`);
    return 2;
  }
  const seconds = values.seconds !== undefined ? Number(values.seconds) : undefined;
  if (seconds !== undefined && !(seconds > 0)) {
    io.stderr('--seconds must be a positive number.');
    return 2;
  }
  try {
    const kind = captureKind(kindId);
    // Loaded here, not at the top: the Kubernetes client costs a second of start-up that the CLI's
    // other commands (top, goroutines) should not pay.
    const [{ loadKubeconfig }, { capture }] = await Promise.all([import('../cluster/kubeconfig.ts'), import('./capture.ts')]);
    const config = loadKubeconfig(values.kubeconfig);
    const kubeConfig = config.forContext(values.context ?? config.currentContext);
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once('SIGINT', onSigint);
    signal?.addEventListener('abort', () => ac.abort(), { once: true });
    let lastShown = -1;
    try {
      const result = await capture({
        kubeConfig,
        namespace: values.namespace,
        pod,
        kind,
        seconds,
        method,
        endpoint: values.port ? { port: Number(values.port) } : undefined,
        folder: values.folder ?? '.profiles',
        outputFile: values.output,
        insecureSkipVerify: values['insecure-skip-verify'] ?? false,
        metadata: !values['no-metadata'],
        signal: ac.signal,
        log: (line) => io.stderr(line),
        onProgress: (p) => {
          if (p.secondsLeft !== undefined && p.secondsLeft !== lastShown && (p.secondsLeft % 5 === 0 || p.secondsLeft <= 3)) {
            lastShown = p.secondsLeft;
            io.stderr(p.message);
          }
        },
      });
      // Best effort and bounded: the sidecar's requests never fail the capture (see captureMeta.ts).
      await result.metadata;
      io.stdout(result.file);
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}`);
    return (err as Error).name === 'AbortError' ? 130 : 1;
  }
}

/**
 * The `capture` entry of src/cli.ts's COMMANDS table. cli.ts hands in its UsageError so failures print as
 * one line with exit code 1; progress goes straight to stderr, the saved path is the command's output.
 */
export function captureCliCommand(UserError: new (message: string) => Error): {
  usage: string;
  summary: string;
  run(args: string[]): Promise<string>;
} {
  return {
    usage: 'etcd-profiler capture --kubeconfig FILE [--context NAME] -n NAMESPACE POD KIND [--seconds N] [-o FILE] [--method auto|forward|exec]',
    summary: `capture a profile or dump from a pod through the Kubernetes API (KIND: ${CAPTURE_KINDS.map((k) => k.id).join(', ')})`,
    async run(args: string[]): Promise<string> {
      const out: string[] = [];
      let error: string | undefined;
      const code = await runCaptureCommand(args, {
        stdout: (l) => out.push(l),
        stderr: (l) => {
          if (l.startsWith('error: ')) error = l.slice('error: '.length);
          else process.stderr.write(l + '\n');
        },
      });
      if (code !== 0) throw new UserError(error ?? (code === 2 ? 'bad arguments (see the usage above).' : `failed (exit ${code}).`));
      return out.join('\n');
    },
  };
}
