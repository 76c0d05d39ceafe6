// *Record…*: on a pod row, on a group row (every pod of it, e.g. the etcd members) or from the palette. Asks the
// kinds, the interval (etcdProfiler.recordIntervalSeconds, 30 s) and for how long, then records into
// `<captures folder>/<context>/<namespace>/recording-<UTC time>/` with a status bar entry (elapsed time, rounds,
// Stop), the Timeline panel updated each round and one notification per new finding. The kinds list also offers
// triggers (unpicked by default): thresholds typed as `goroutines>5000 heap>512MiB cooldown=5m`.
import path from 'node:path';
import * as vscode from 'vscode';
import type { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import type { PodInfo, PodTarget } from '../../cluster/pods.ts';
import { Recorder } from '../../capture/recorder.ts';
import { safeSegment, utcStamp } from '../../capture/save.ts';
import { RECORD_KINDS, parseDuration, type RecordKind } from '../../profile/recordingIndex.ts';
import { parseTriggerSpec, type TriggerOptions } from '../../profile/triggers.ts';
import { captureSettings } from '../commands/capture.ts';
import type { CommandFactory } from '../commands/index.ts';
import { getConfig } from '../config.ts';
import { podTargetOf } from '../podTree.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import { TimelinePanel, type TimelineDeps } from './panel.ts';

const KIND_LABELS: Record<RecordKind, string> = {
  goroutine: 'Goroutines (debug=2 dump: states and stacks)',
  heap: 'Heap (in use)',
  allocs: 'Allocations (rate between rounds)',
  cpu: 'CPU profile (part of each interval)',
};

export interface RecordOptions {
  kinds?: RecordKind[];
  everySeconds?: number;
  /** null or 0: until stopped. */
  forSeconds?: number | null;
  /** null: no triggers (not asked). */
  triggers?: TriggerOptions | null;
}

const TRIGGERS_ITEM = 'Triggers: also capture a dump and a heap profile when a threshold is reached…';
export const DEFAULT_TRIGGER_SPEC = 'goroutines>5000 heap>512MiB cooldown=5m';

export interface ActiveRecording {
  recorder: Recorder;
  label: string;
  started: number;
  panel?: TimelinePanel;
}

/** The recordings running now; the status bar and Stop read it. */
export class Recordings {
  readonly active = new Set<ActiveRecording>();
  private readonly listeners = new Set<() => void>();
  onDidChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  changed(): void {
    for (const fn of this.listeners) fn();
  }
  stopAll(): void {
    for (const r of this.active) r.recorder.stop();
  }
}

function isGroupArg(arg: unknown): arg is { type: 'group'; context: string; group: { namespace: string; pods: PodInfo[]; label: string } } {
  const a = arg as { type?: string; context?: unknown; group?: { pods?: unknown } } | undefined;
  return !!a && a.type === 'group' && typeof a.context === 'string' && Array.isArray(a.group?.pods);
}

async function pickPods(pctx: ProfilerContext): Promise<PodTarget[] | undefined> {
  const contexts = pctx.kube.contexts();
  let context: string | undefined = contexts[0]?.name;
  if (contexts.length > 1) {
    const pick = await vscode.window.showQuickPick(contexts.map((c) => ({ label: c.name, description: c.server })), { title: 'Record: context' });
    context = pick?.label;
  }
  if (!context) return undefined;
  const discovery = await pctx.pods.discovery(context);
  const items = discovery.groups.flatMap((g) =>
    g.pods.map((p) => ({ label: p.name, description: `${g.label ?? g.kind} · ${p.namespace}`, picked: false, pod: p as PodTarget })),
  );
  if (items.length === 0) throw new Error(`No pods to record in context "${context}".`);
  const picks = await vscode.window.showQuickPick(items, { title: 'Record: pods (of one namespace)', canPickMany: true });
  if (!picks || picks.length === 0) return undefined;
  const namespaces = new Set(picks.map((p) => p.pod.namespace));
  if (namespaces.size > 1) throw new Error(`A recording takes pods of one namespace; you picked pods of ${[...namespaces].join(', ')}. Record each namespace separately.`);
  return picks.map((p) => p.pod);
}

async function askKinds(): Promise<{ kinds: RecordKind[]; triggers: boolean } | undefined> {
  const picks = await vscode.window.showQuickPick(
    [
      ...RECORD_KINDS.map((k) => ({ label: KIND_LABELS[k], picked: k !== 'cpu', recordKind: k as RecordKind | undefined })),
      { label: TRIGGERS_ITEM, picked: false, recordKind: undefined },
    ],
    { title: 'Record: what to capture each round', canPickMany: true },
  );
  const kinds = (picks ?? []).flatMap((p) => (p.recordKind ? [p.recordKind] : []));
  if (kinds.length === 0) return undefined;
  return { kinds, triggers: !!picks?.some((p) => !p.recordKind) };
}

function triggerProblem(o: TriggerOptions | undefined, kinds: RecordKind[]): string | undefined {
  if (!o) return 'Give a goroutines or heap threshold, e.g. goroutines>5000.';
  if (o.goroutines !== undefined && !kinds.includes('goroutine')) return 'A goroutines threshold needs Goroutines among the kinds (the count is read from each round\'s dump).';
  if (o.heapInuseBytes !== undefined && !kinds.includes('heap')) return 'A heap threshold needs Heap among the kinds (in-use bytes are read from each round\'s profile).';
  return undefined;
}

async function askTriggers(kinds: RecordKind[]): Promise<TriggerOptions | undefined> {
  const v = await vscode.window.showInputBox({
    title: 'Record: triggers',
    value: DEFAULT_TRIGGER_SPEC,
    prompt: 'When a round reaches a threshold, capture a goroutine dump and a heap profile, at most once per cool-down (per pod).',
    validateInput: (text) => {
      try {
        return triggerProblem(parseTriggerSpec(text), kinds);
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  return v === undefined ? undefined : parseTriggerSpec(v);
}

function durationInput(title: string, value: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title,
    value,
    prompt: 'A duration like 30s, 5m or 1h',
    validateInput: (v) => {
      try {
        return parseDuration(v) > 0 ? undefined : 'Give a duration longer than 0.';
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
}

async function askEvery(): Promise<number | undefined> {
  const def = getConfig().get<number>('recordIntervalSeconds', 30);
  const v = await durationInput('Record: interval between rounds', `${Number.isFinite(def) && def > 0 ? def : 30}s`);
  return v === undefined ? undefined : parseDuration(v);
}

async function askFor(): Promise<number | null | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Until stopped', seconds: null as number | null },
      { label: '5 minutes', seconds: 300 },
      { label: '15 minutes', seconds: 900 },
      { label: '1 hour', seconds: 3600 },
      { label: 'Other…', seconds: -1 },
    ],
    { title: 'Record: for how long' },
  );
  if (!pick) return undefined;
  if (pick.seconds !== -1) return pick.seconds;
  const v = await durationInput('Record: duration', '10m');
  return v === undefined ? undefined : parseDuration(v);
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The status bar entry: `$(record) 1:05 · 3 rounds` while recording; click for Stop / Open Timeline. */
export function recordingStatusBar(recordings: Recordings): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('etcdProfiler.recording', vscode.StatusBarAlignment.Left, 49);
  item.name = 'etcd Profiler recording';
  item.command = 'etcdProfiler.recordingMenu';
  const update = (): void => {
    const list = [...recordings.active];
    if (list.length === 0) {
      item.hide();
      return;
    }
    const first = list[0];
    const rounds = list.reduce((n, r) => n + r.recorder.rounds, 0);
    item.text = `$(record) ${elapsed(Date.now() - first.started)} · ${rounds} round${rounds === 1 ? '' : 's'}${list.length > 1 ? ` · ${list.length} recordings` : ''}`;
    item.tooltip = `${list.map((r) => `Recording ${r.label}: ${r.recorder.rounds} rounds, ${r.recorder.failed} failed captures`).join('\n')}\nClick to stop or open the timeline.`;
    item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    item.show();
  };
  const timer = setInterval(update, 1000);
  const unsubscribe = recordings.onDidChange(update);
  update();
  return new vscode.Disposable(() => {
    clearInterval(timer);
    unsubscribe();
    item.dispose();
  });
}

export function recordingMenu(recordings: Recordings, deps: TimelineDeps): CommandFactory {
  return () => async () => {
    const items = [...recordings.active].flatMap((r) => [
      { label: `$(debug-stop) Stop recording ${r.label}`, action: () => r.recorder.stop() },
      { label: `$(graph-line) Open Timeline of ${r.label}`, action: () => showLive(r, deps) },
    ]);
    if (items.length === 0) {
      void vscode.window.showInformationMessage('No recording is running.');
      return;
    }
    const pick = await vscode.window.showQuickPick(items, { title: 'etcd Profiler recording', ignoreFocusOut: true });
    pick?.action();
  };
}

function showLive(r: ActiveRecording, deps: TimelineDeps): void {
  const rec = r.recorder;
  r.panel = TimelinePanel.show({ dir: rec.options.dir, header: rec.header, timeline: rec.timeline, findings: () => rec.findings(), recorder: rec }, deps);
}

export function recordCommand(recordings: Recordings, forwards: ForwardRegistry, deps: TimelineDeps): CommandFactory {
  return (_ctx, pctx) => async (arg?: unknown, given?: RecordOptions) => {
    let targets: PodTarget[] | undefined;
    if (isGroupArg(arg)) targets = arg.group.pods;
    else {
      const one = podTargetOf(arg);
      targets = one ? [one] : await pickPods(pctx);
    }
    if (!targets || targets.length === 0) return undefined;
    const asked = given?.kinds ? { kinds: given.kinds, triggers: false } : await askKinds();
    if (!asked) return undefined;
    const kinds = asked.kinds;
    const everySeconds = given?.everySeconds ?? (await askEvery());
    if (!everySeconds) return undefined;
    const forSeconds = given && 'forSeconds' in given ? given.forSeconds || null : await askFor();
    if (forSeconds === undefined) return undefined;
    let triggers: TriggerOptions | undefined = given?.triggers ?? undefined;
    if (asked.triggers && !given?.triggers) {
      triggers = await askTriggers(kinds);
      if (!triggers) return undefined;
    }

    const context = targets[0].context;
    const namespace = targets[0].namespace;
    const settings = captureSettings();
    const dir = path.join(pctx.captures.root.fsPath, safeSegment(context), safeSegment(namespace), `recording-${utcStamp(new Date())}`);
    const endpoint = targets.length === 1 && targets[0].endpoint ? { scheme: targets[0].endpoint.scheme, port: targets[0].endpoint.port } : undefined;
    const seen = new Set<string>();
    const label = targets.length === 1 ? targets[0].name : `${targets.length} pods in ${namespace}`;
    const active: ActiveRecording = { label, started: Date.now(), recorder: undefined as unknown as Recorder };
    const recorder = new Recorder({
      kubeConfig: pctx.kube.kubeConfigFor(context),
      namespace,
      pods: targets.map((t) => t.name),
      kinds,
      everySeconds,
      forSeconds,
      dir,
      method: settings.method,
      endpoint,
      registry: forwards,
      insecureSkipVerify: settings.insecureSkipVerify,
      maxBytes: settings.maxBytes,
      triggers,
      log: (line) => pctx.output.info(`recording ${label}: ${line}`),
      onRound: (round, findings) => {
        if (round.triggered) pctx.output.info(`recording ${label}: ${round.pod} round ${round.round}: trigger (${round.triggered.reason}): ${round.triggered.captures.map((c) => ('file' in c ? c.file : `${c.kind} failed`)).join(', ')}`);
        active.panel?.update();
        recordings.changed();
        pctx.captures.refresh();
        for (const f of findings) {
          if (seen.has(f.id)) continue;
          seen.add(f.id);
          pctx.output.warn(`recording ${label}: finding: ${f.pod}: ${f.what}`);
          void vscode.window.showWarningMessage(`${f.kind === 'goroutine-leak' ? 'Goroutine leak?' : 'Heap growth'} ${f.pod}: ${f.what}`, 'Open Timeline').then((c) => {
            if (c) showLive(active, deps);
          });
        }
      },
    });
    active.recorder = recorder;
    recordings.active.add(active);
    recordings.changed();
    showLive(active, deps);
    pctx.output.info(`Recording ${label} (${kinds.join(', ')} every ${everySeconds} s${forSeconds ? ` for ${forSeconds} s` : ' until stopped'}) into ${dir}`);
    void (async () => {
      try {
        const r = await recorder.run();
        const msg = `Recording of ${label} ${r.reason === 'stopped' ? 'stopped' : r.reason === 'error' ? 'ended by an error' : 'ended'}: ${r.rounds} rounds, ${r.captures} captures${r.failed ? `, ${r.failed} failed` : ''}, ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}.`;
        pctx.output.info(`${msg} ${dir}`);
        void vscode.window.showInformationMessage(msg, 'Open Timeline').then((c) => {
          if (c) void TimelinePanel.openRecording(dir, deps);
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        pctx.output.error(`recording ${label}: ${message}`);
        void vscode.window.showErrorMessage(`Recording of ${label} failed: ${message}`);
      } finally {
        recordings.active.delete(active);
        recordings.changed();
        TimelinePanel.of(dir)?.update();
        pctx.captures.refresh();
      }
    })();
    return dir;
  };
}
