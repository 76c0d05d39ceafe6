// `etcd-profiler bundle --kubeconfig K [--context C] [--seconds N] [--kinds LIST] -o FILE.tar.gz`: every etcd
// member and the operator in one .tar.gz (src/capture/bundle.ts) with its SUMMARY.md (src/profile/memberSummary.ts).
// Progress and the summary line on stderr, the written path on stdout; exit 0 when at least one item was
// collected, 1 when none (with a one-line reason). Ctrl-C cancels and writes nothing.
import { parseArgs } from 'node:util';
import { BUNDLE_KINDS, OPTIONAL_BUNDLE_KINDS } from './capture/bundleManifest.ts';
import type { CaptureKindId } from './capture/kinds.ts';
import { summaryMarkdown } from './profile/memberSummary.ts';
import { TOOL_VERSION } from './version.ts';

export const BUNDLE_USAGE =
  'etcd-profiler bundle --kubeconfig FILE [--context NAME] [--seconds N] [--kinds LIST] -o FILE.tar.gz [--method auto|forward|exec]';

export function bundleCliCommand(UserError: new (message: string) => Error): { usage: string; summary: string; run(args: string[]): Promise<string> } {
  return {
    usage: BUNDLE_USAGE,
    summary: `profiling bundle: every etcd member and the operator in one .tar.gz (LIST: comma-separated, default ${BUNDLE_KINDS.join(',')})`,
    async run(args: string[]): Promise<string> {
      let values;
      try {
        ({ values } = parseArgs({
          args,
          options: {
            kubeconfig: { type: 'string' },
            context: { type: 'string' },
            seconds: { type: 'string' },
            kinds: { type: 'string' },
            output: { type: 'string', short: 'o' },
            method: { type: 'string' },
            'insecure-skip-verify': { type: 'boolean' },
          },
        }));
      } catch (err) {
        throw new UserError(`${(err as Error).message.split('\n')[0]} Usage: ${BUNDLE_USAGE}`);
      }
      if (!values.output) throw new UserError(`-o FILE.tar.gz is required. Usage: ${BUNDLE_USAGE}`);
      const seconds = values.seconds !== undefined ? Number(values.seconds) : 30;
      if (!(seconds > 0 && seconds <= 3600)) throw new UserError('--seconds must be a number of seconds, 1 to 3600.');
      const allowed = [...BUNDLE_KINDS, ...OPTIONAL_BUNDLE_KINDS];
      const kinds = values.kinds ? values.kinds.split(',').map((k) => k.trim()).filter(Boolean) : [...BUNDLE_KINDS];
      const unknown = kinds.filter((k) => !allowed.includes(k as CaptureKindId));
      if (unknown.length || kinds.length === 0) throw new UserError(`--kinds: unknown ${unknown.join(', ') || '(empty)'}; known: ${allowed.join(', ')}.`);
      const method = values.method ?? 'auto';
      if (!['auto', 'forward', 'exec'].includes(method)) throw new UserError('--method must be auto, forward or exec.');
      const [{ loadKubeconfig }, { collectBundle }] = await Promise.all([import('./cluster/kubeconfig.ts'), import('./capture/bundle.ts')]);
      const ac = new AbortController();
      const onSigint = (): void => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        const config = loadKubeconfig(values.kubeconfig);
        const kubeConfig = config.forContext(values.context ?? config.currentContext);
        const last = new Map<string, string>();
        const result = await collectBundle({
          kubeConfig,
          output: values.output,
          seconds,
          kinds: kinds as CaptureKindId[],
          method: method as 'auto' | 'forward' | 'exec',
          insecureSkipVerify: values['insecure-skip-verify'] ?? false,
          toolVersion: TOOL_VERSION,
          summarize: summaryMarkdown,
          signal: ac.signal,
          onProgress: (p) => {
            // A countdown prints every 5 s; other states once.
            const key = `${p.namespace}/${p.pod}`;
            const status = p.status.replace(/(\d+) s left$/, (m, s: string) => (Number(s) % 5 === 0 ? m : ''));
            if (!status.endsWith(' ') && last.get(key) !== status) {
              last.set(key, status);
              process.stderr.write(`[${p.done}/${p.total}] ${key}: ${p.status}\n`);
            }
          },
        });
        process.stderr.write(result.summaryLine + '\n');
        if (!result.file) {
          const reasons = [...new Set(result.manifest.failed.map((f) => f.reason))];
          throw new UserError(`nothing collected, no bundle written: ${reasons[0] ?? 'no items'}${reasons.length > 1 ? ` (and ${reasons.length - 1} other reasons)` : ''}`.replace(/\n/g, ' '));
        }
        return result.file;
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(((err as Error).message ?? String(err)).split('\n')[0]);
      } finally {
        process.off('SIGINT', onSigint);
      }
    },
  };
}
