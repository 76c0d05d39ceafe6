// `etcd-profiler gateway --kubeconfig K [--context C] -n NAMESPACE POD [--port P]`: the extension's pprof gateway,
// headless. The first stdout line is `pprof gateway for NAMESPACE/POD at http://127.0.0.1:PORT/TOKEN/debug/pprof/`;
// it serves until SIGINT/SIGTERM (then closes the forward and exits 0) or until the pod goes away (exit 1).
// Request lines (without the token) go to stderr.
import { parseArgs } from 'node:util';
import { defaultIo, type CliIo } from './cliCapture.ts';
import type { CaptureMethod } from './podRequest.ts';

export const GATEWAY_USAGE = `Usage: etcd-profiler gateway --kubeconfig FILE [--context NAME] -n NAMESPACE POD [--port P]
         [--method auto|forward|exec] [--pod-port N] [--allow-metrics] [--insecure-skip-verify]
Serves http://127.0.0.1:PORT/TOKEN/debug/pprof/ from the pod's pprof endpoint until Ctrl-C. Only GET/HEAD
under /debug/pprof/ pass (with --allow-metrics also /metrics and /version).`;

/** Runs until `signal` aborts (or SIGINT/SIGTERM when none is given); resolves to the exit code. */
export async function runGatewayCommand(argv: string[], io: CliIo = defaultIo, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        port: { type: 'string' },
        'pod-port': { type: 'string' },
        method: { type: 'string' },
        'allow-metrics': { type: 'boolean' },
        'insecure-skip-verify': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${GATEWAY_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(GATEWAY_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !values.namespace) {
    io.stderr(GATEWAY_USAGE);
    return 2;
  }
  const method = (values.method ?? 'auto') as CaptureMethod;
  if (!['auto', 'forward', 'exec'].includes(method)) {
    io.stderr(`--method must be auto, forward or exec.\n${GATEWAY_USAGE}`);
    return 2;
  }
  const port = values.port !== undefined ? Number(values.port) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr('--port must be a port number (0 for a free one).');
    return 2;
  }
  const [pod] = positionals;
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  if (signal) signal.addEventListener('abort', onSignal, { once: true });
  else {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    const [{ loadKubeconfig }, { openPprofGateway }] = await Promise.all([import('../cluster/kubeconfig.ts'), import('./gateway.ts')]);
    const config = loadKubeconfig(values.kubeconfig);
    const kubeConfig = config.forContext(values.context ?? config.currentContext);
    const gateway = await openPprofGateway({
      kubeConfig,
      namespace: values.namespace,
      pod,
      port,
      method,
      endpoint: values['pod-port'] ? { port: Number(values['pod-port']) } : undefined,
      allowMetrics: values['allow-metrics'] ?? false,
      insecureSkipVerify: values['insecure-skip-verify'] ?? false,
      log: (line) => io.stderr(line),
    });
    io.stdout(`pprof gateway for ${values.namespace}/${pod} at ${gateway.url}`);
    // stdout only: the token is in the URL, and stderr is a log.
    io.stdout(`go tool pprof -http=: ${gateway.url}profile?seconds=30`);
    const closedBy = await new Promise<'signal' | 'pod'>((resolve) => {
      if (stop.signal.aborted) resolve('signal');
      stop.signal.addEventListener('abort', () => resolve('signal'), { once: true });
      gateway.onDidChange(() => {
        if (gateway.state === 'closed') resolve('pod');
      });
    });
    if (closedBy === 'signal') {
      await gateway.stop('interrupted');
      return 0;
    }
    io.stderr(`error: the gateway closed: ${gateway.closeReason}`);
    return 1;
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The `gateway` entry of src/cli.ts's COMMANDS table: it prints as it goes, so its own output is empty. */
export function gatewayCliCommand(UserError: new (message: string) => Error): { usage: string; summary: string; run(args: string[]): Promise<string> } {
  return {
    usage: 'etcd-profiler gateway --kubeconfig FILE [--context NAME] -n NAMESPACE POD [--port P]',
    summary: 'serve the pod\'s pprof endpoint on http://127.0.0.1 (with etcd\'s client certificate) for go tool pprof, curl and browsers',
    async run(args: string[]): Promise<string> {
      let error: string | undefined;
      const code = await runGatewayCommand(args, {
        stdout: (l) => process.stdout.write(l + '\n'),
        stderr: (l) => {
          if (l.startsWith('error: ')) error = l.slice('error: '.length);
          else process.stderr.write(l + '\n');
        },
      });
      if (code !== 0) throw new UserError(error ?? (code === 2 ? 'bad arguments (see the usage above).' : `failed (exit ${code}).`));
      return '';
    },
  };
}
