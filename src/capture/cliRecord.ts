// `etcd-profiler record …` (rounds of captures into a recording directory) and `etcd-profiler timeline DIR`
// (its series and findings, `--json` for tools). Entries of src/cli.ts's command table.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { RECORD_KINDS, RecordingError, parseDuration, recordKindOf } from '../profile/recordingIndex.ts';
import { timelineJson, timelineText } from '../profile/timelineReport.ts';
import { DEFAULT_TRIGGER_COOLDOWN_SECONDS, parseByteSize, type TriggerOptions } from '../profile/triggers.ts';
import type { CaptureMethod } from './capture.ts';

export const RECORD_USAGE =
  'etcd-profiler record --kubeconfig FILE [--context NAME] -n NAMESPACE POD [POD…] --every 10s [--for 2m] ' +
  `[--kinds ${RECORD_KINDS.join(',')}] [--cpu-seconds N] -o DIR [--method auto|forward|exec] [--port N] ' +
  '[--trigger-goroutines N] [--trigger-heap 512MiB] [--cooldown 5m] [--no-etcd-metrics]`;
export const TIMELINE_USAGE = 'etcd-profiler timeline DIR [--json]';

type UserErrorClass = new (message: string) => Error;

interface Command {
  usage: string;
  summary: string;
  run(args: string[]): Promise<string>;
}

function parse(args: string[], options: ParseArgsOptionsConfig, usage: string, UserError: UserErrorClass) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UserError(`${(err as Error).message.split('\n')[0]} Usage: ${usage}`);
  }
}

function duration(value: string, flag: string, UserError: UserErrorClass): number {
  try {
    const s = parseDuration(value);
    if (!(s > 0)) throw new RecordingError('');
    return s;
  } catch {
    throw new UserError(`${flag} must be a duration like 10s, 2m or 1h, not "${value}".`);
  }
}

export function recordCliCommand(UserError: UserErrorClass): Command {
  return {
    usage: RECORD_USAGE,
    summary: 'capture from pods every interval into a recording directory (Ctrl-C stops and keeps what was recorded)',
    async run(args: string[]): Promise<string> {
      const { values, positionals } = parse(
        args,
        {
          kubeconfig: { type: 'string' },
          context: { type: 'string' },
          namespace: { type: 'string', short: 'n' },
          every: { type: 'string', default: '30s' },
          for: { type: 'string' },
          kinds: { type: 'string', default: 'goroutine,heap,allocs' },
          'cpu-seconds': { type: 'string' },
          output: { type: 'string', short: 'o' },
          method: { type: 'string', default: 'auto' },
          port: { type: 'string' },
          'insecure-skip-verify': { type: 'boolean' },
          'no-heap-gc': { type: 'boolean' },
          'trigger-goroutines': { type: 'string' },
          'trigger-heap': { type: 'string' },
          cooldown: { type: 'string' },
          'no-etcd-metrics': { type: 'boolean' },
        },
        RECORD_USAGE,
        UserError,
      );
      const v = values as Record<string, string | boolean | undefined>;
      if (positionals.length === 0 || !v.namespace || !v.output) throw new UserError(`expected -n NAMESPACE, at least one POD and -o DIR. Usage: ${RECORD_USAGE}`);
      const every = duration(v.every as string, '--every', UserError);
      const forSeconds = v.for !== undefined ? duration(v.for as string, '--for', UserError) : null;
      let kinds;
      try {
        kinds = [...new Set((v.kinds as string).split(',').map((k) => recordKindOf(k.trim())))];
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      const method = v.method as CaptureMethod;
      if (!['auto', 'forward', 'exec'].includes(method)) throw new UserError('--method must be auto, forward or exec.');
      const cpuSeconds = v['cpu-seconds'] !== undefined ? Number(v['cpu-seconds']) : undefined;
      if (cpuSeconds !== undefined && !(cpuSeconds >= 1)) throw new UserError('--cpu-seconds must be a number ≥ 1.');
      let triggers: TriggerOptions | undefined;
      if (v['trigger-goroutines'] !== undefined || v['trigger-heap'] !== undefined) {
        triggers = { cooldownSeconds: v.cooldown !== undefined ? duration(v.cooldown as string, '--cooldown', UserError) : DEFAULT_TRIGGER_COOLDOWN_SECONDS };
        if (v['trigger-goroutines'] !== undefined) {
          const n = v['trigger-goroutines'] as string;
          if (!/^\d+$/.test(n) || Number(n) <= 0) throw new UserError(`--trigger-goroutines must be a whole number above 0, not "${n}".`);
          triggers.goroutines = Number(n);
        }
        if (v['trigger-heap'] !== undefined) {
          try {
            triggers.heapInuseBytes = parseByteSize(v['trigger-heap'] as string);
          } catch (err) {
            throw new UserError(`--trigger-heap: ${(err as Error).message}`);
          }
          if (!(triggers.heapInuseBytes > 0)) throw new UserError('--trigger-heap must be above 0.');
        }
      } else if (v.cooldown !== undefined) throw new UserError('--cooldown goes with --trigger-goroutines or --trigger-heap.');
      const [{ loadKubeconfig }, { Recorder }] = await Promise.all([import('../cluster/kubeconfig.ts'), import('./recorder.ts')]);
      const config = loadKubeconfig(v.kubeconfig as string | undefined);
      const kubeConfig = config.forContext((v.context as string | undefined) ?? config.currentContext);
      const ac = new AbortController();
      const onSigint = (): void => {
        process.stderr.write('Stopping: the round in progress is cancelled, what was recorded is kept.\n');
        ac.abort();
      };
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigint);
      const seen = new Set<string>();
      try {
        const recorder = new Recorder({
          kubeConfig,
          namespace: v.namespace as string,
          pods: positionals,
          kinds,
          everySeconds: every,
          forSeconds,
          cpuSeconds,
          dir: v.output as string,
          method,
          endpoint: v.port ? { port: Number(v.port) } : undefined,
          insecureSkipVerify: (v['insecure-skip-verify'] as boolean | undefined) ?? false,
          heapGc: !v['no-heap-gc'],
          triggers,
          etcdMetrics: v['no-etcd-metrics'] ? false : undefined,
          signal: ac.signal,
          log: (line) => process.stderr.write(line + '\n'),
          onRound: (round, findings) => {
            const ok = round.captures.filter((c) => 'file' in c).map((c) => c.kind);
            const failed = round.captures.filter((c) => 'error' in c).map((c) => c.kind);
            process.stderr.write(
              `round ${round.round} ${round.pod}: ${ok.length ? `saved ${ok.join(',')}` : 'nothing saved'}${failed.length ? `; failed ${failed.join(',')}` : ''}` +
                `${round.change ? `; pod ${round.change}` : ''}${round.metrics ? ('error' in round.metrics ? '; /metrics failed' : '; read /metrics') : ''}\n`,
            );
            if (round.triggered) {
              const files = round.triggered.captures.map((c) => ('file' in c ? c.file : `${c.kind} failed: ${c.error}`));
              process.stderr.write(`trigger: ${round.pod} round ${round.round}: ${round.triggered.reason}: ${files.join(', ')}\n`);
            }
            for (const f of findings) {
              if (seen.has(f.id)) continue;
              seen.add(f.id);
              process.stderr.write(`finding: ${f.pod}: ${f.what}\n`);
            }
          },
        });
        const r = await recorder.run();
        return (
          `Recorded ${r.rounds} rounds (${r.captures} captures, ${r.failed} failed${r.triggered ? `, ${r.triggered} trigger${r.triggered === 1 ? '' : 's'} fired` : ''}) into ${r.dir}; ${r.reason === 'stopped' ? 'stopped' : r.reason === 'error' ? 'ended by an error' : 'duration reached'}.\n` +
          (r.findings.length ? r.findings.map((f) => `finding: ${f.pod}: ${f.what}`).join('\n') : 'No findings.')
        );
      } catch (err) {
        throw new UserError((err as Error).message);
      } finally {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigint);
      }
    },
  };
}

export function timelineCliCommand(UserError: UserErrorClass): Command {
  return {
    usage: TIMELINE_USAGE,
    summary: 'series and leak findings of a recording (--json: {series, findings, rounds})',
    async run(args: string[]): Promise<string> {
      const { values, positionals } = parse(args, { json: { type: 'boolean', default: false } }, TIMELINE_USAGE, UserError);
      if (positionals.length !== 1) throw new UserError(`expected one DIR. Usage: ${TIMELINE_USAGE}`);
      const { loadRecording } = await import('./recordingLoad.ts');
      let loaded;
      try {
        loaded = await loadRecording(positionals[0]);
      } catch (err) {
        throw new UserError(err instanceof RecordingError ? `${positionals[0]}: ${err.message}` : (err as Error).message);
      }
      for (const u of loaded.unreadable) process.stderr.write(`skipped ${u.file}: ${u.reason}\n`);
      if (values.json) return JSON.stringify(timelineJson(loaded.index, loaded.timeline, loaded.findings));
      return timelineText(loaded.index, loaded.timeline, loaded.findings);
    },
  };
}
