// The pods view: one root per kube context (the selected one first), under it the etcd operator, the etcd members
// and the "Other Go pods", each pod with phase, readiness, node and its pprof endpoint. Empty states hand over
// to the welcome content in package.json through the `etcdProfiler.podsState` context key.
import * as vscode from 'vscode';
import type { ContextInfo } from '../cluster/kubeconfig.ts';
import { NoKubeconfigError } from '../cluster/kubeconfig.ts';
import { ClusterError } from '../cluster/errors.ts';
import {
  endpointUrl,
  nothingFound,
  toPodTarget,
  type Discovery,
  type PodGroup,
  type PodInfo,
  type PodTarget,
} from '../cluster/pods.ts';
import { watchPods, watchTargetKey, type PodWatchTarget } from '../cluster/podWatch.ts';
import { ConfigKey, affects, getConfig } from './config.ts';
import { ago, podRowText } from './podTreeText.ts';
import type { ClusterService } from './kube.ts';

export interface ContextNode {
  type: 'context';
  info: ContextInfo;
  selected: boolean;
}
export interface GroupNode {
  type: 'group';
  context: string;
  group: PodGroup;
}
/** A pod row. Commands from `view/item/context` menus receive this object; use `podTargetOf` to narrow it. */
export interface PodNode extends PodInfo {
  type: 'pod';
}
export interface MessageNode {
  type: 'message';
  id: string;
  label: string;
  detail?: string;
  icon: 'error' | 'warning' | 'info';
}
export type PodTreeNode = ContextNode | GroupNode | PodNode | MessageNode;

/** What the welcome content keys on (`etcdProfiler.podsState`). */
export type PodsViewState = 'loading' | 'restricted' | 'ok' | 'noKubeconfig' | 'badKubeconfig' | 'noContexts' | 'unreachable' | 'unauthorized' | 'noNamespaces';

/** Extra text on pod rows from other features, e.g. the active port-forwards of a pod. */
export interface PodDecorator {
  decorate(pod: PodTarget): { description?: string; tooltip?: string } | undefined;
  readonly onDidChange: vscode.Event<void>;
}

/** The pod a command was invoked on (a PodNode, or any object with the PodTarget fields), as a plain PodTarget. */
export function podTargetOf(arg: unknown): PodTarget | undefined {
  const a = arg as Partial<PodTarget> | undefined;
  if (!a || typeof a !== 'object') return undefined;
  if (typeof a.context !== 'string' || typeof a.namespace !== 'string' || typeof a.name !== 'string') return undefined;
  return toPodTarget({ ...a, container: typeof a.container === 'string' ? a.container : '' } as PodTarget);
}

const GROUP_ICONS: Record<PodGroup['kind'], string> = { operator: 'gear', etcd: 'database', go: 'symbol-namespace' };

/** Text for a MarkdownString with no markdown in it, and no bare URL the renderer would turn into a link. */
function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~:]/g, '\\$&');
}

function podIcon(p: PodInfo): vscode.ThemeIcon {
  if (p.phase === 'Running' && p.ready) return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
  if (p.phase === 'Running') return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  if (p.phase === 'Pending' || p.phase === 'Terminating') return new vscode.ThemeIcon('loading~spin');
  if (p.phase === 'Succeeded') return new vscode.ThemeIcon('circle-outline');
  return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
}

export class PodTreeProvider implements vscode.TreeDataProvider<PodTreeNode>, vscode.Disposable {
  static readonly viewId = 'etcdProfiler.pods';

  /** Registers the provider, its view, auto refresh and listeners into `ctx.subscriptions`. */
  static setup(ctx: vscode.ExtensionContext, kube: ClusterService, output: vscode.LogOutputChannel): PodTreeProvider {
    const provider = new PodTreeProvider(kube, output);
    const view = vscode.window.createTreeView(PodTreeProvider.viewId, { treeDataProvider: provider, showCollapseAll: true });
    provider.view = view;
    ctx.subscriptions.push(
      provider,
      view,
      view.onDidChangeVisibility(() => provider.scheduleAutoRefresh()),
      kube.onDidChange(() => provider.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, ConfigKey.goPods)) provider.refresh();
        if (affects(e, ConfigKey.autoRefresh, ConfigKey.refreshIntervalSeconds)) provider.scheduleAutoRefresh();
      }),
    );
    provider.scheduleAutoRefresh();
    return provider;
  }

  private readonly kube: ClusterService;
  private readonly output: vscode.LogOutputChannel;
  private view: vscode.TreeView<PodTreeNode> | undefined;
  private readonly changed = new vscode.EventEmitter<PodTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly discoveries = new Map<string, Promise<Discovery>>();
  private readonly decorators = new Set<PodDecorator>();
  private readonly logged = new Set<string>();
  /** Pods with captures running (key `context/namespace/pod`), by capture kind, and what the row says. */
  private readonly capturing = new Map<string, Map<string, string>>();
  private state: PodsViewState = 'loading';
  private timer: ReturnType<typeof setInterval> | undefined;
  private watch: { key: string; stop: () => void } | undefined;
  private watchRetry: ReturnType<typeof setTimeout> | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(kube: ClusterService, output: vscode.LogOutputChannel) {
    this.kube = kube;
    this.output = output;
    void this.setState('loading');
  }

  /** Re-reads everything on the next render. */
  refresh(): void {
    this.discoveries.clear();
    this.changed.fire(undefined);
  }

  /** The latest discovery of a context (runs one if none is cached). Whole-context failures are ClusterErrors (`unreachable`, `unauthorized`). */
  discovery(context: string): Promise<Discovery> {
    let d = this.discoveries.get(context);
    if (!d) {
      d = this.kube.discover(context);
      this.discoveries.set(context, d);
      d.then(
        (r) => this.logGroupProblems(r),
        (err: unknown) => this.output.error(`Context "${context}": ${err instanceof Error ? err.message : String(err)}`),
      );
    }
    return d;
  }

  /** The pod row selected in the view, for commands run from the palette. */
  selectedPod(): PodTarget | undefined {
    const sel = this.view?.selection[0];
    return sel?.type === 'pod' ? podTargetOf(sel) : undefined;
  }

  addDecorator(d: PodDecorator): vscode.Disposable {
    this.decorators.add(d);
    const sub = d.onDidChange(() => this.changed.fire(undefined));
    return new vscode.Disposable(() => {
      this.decorators.delete(d);
      sub.dispose();
    });
  }

  /** Marks a pod's row while a capture of `kind` runs (`text`, e.g. `CPU profile · 14 s left`); undefined clears it. */
  setCapturing(pod: PodTarget, kind: string, text: string | undefined): void {
    const key = `${pod.context}/${pod.namespace}/${pod.name}`;
    const running = this.capturing.get(key) ?? new Map<string, string>();
    if (text === undefined) running.delete(kind);
    else running.set(kind, text);
    if (running.size) this.capturing.set(key, running);
    else this.capturing.delete(key);
    this.changed.fire(undefined);
  }

  /** Logs group errors and missing endpoints once each, not on every watch-driven refresh. */
  private logGroupProblems(d: Discovery): void {
    const once = (line: string, log: (l: string) => void) => {
      if (this.logged.has(line)) return;
      if (this.logged.size > 1000) this.logged.clear();
      this.logged.add(line);
      log(line);
    };
    for (const g of d.groups) if (g.error) once(`Context "${d.context}", ${g.label}: ${g.error}`, (l) => this.output.warn(l));
    for (const g of d.groups) {
      for (const p of g.pods) {
        if (!p.endpoint && p.endpointNote) once(`${d.context}/${p.namespace}/${p.name}: ${p.endpointNote}`, (l) => this.output.info(l));
      }
    }
  }

  /**
   * Sets the context key the welcome content keys on. VS Code hides welcome content while a TreeView.message is
   * set, so the problem in a few words goes in the view's description (next to its title) instead; the full text
   * is in the output channel.
   */
  private async setState(state: PodsViewState, detail?: string): Promise<void> {
    this.state = state;
    if (this.view) this.view.description = detail;
    await vscode.commands.executeCommand('setContext', 'etcdProfiler.podsState', state);
  }

  get viewState(): PodsViewState {
    return this.state;
  }

  async getChildren(node?: PodTreeNode): Promise<PodTreeNode[]> {
    if (!node) return this.roots();
    switch (node.type) {
      case 'context':
        return this.contextChildren(node.info.name);
      case 'group':
        return this.groupChildren(node);
      default:
        return [];
    }
  }

  private async roots(): Promise<PodTreeNode[]> {
    if (!vscode.workspace.isTrusted) {
      // Restricted Mode: the kubeconfig is not even read (its exec plugins would run); the welcome content explains.
      await this.setState('restricted', 'Restricted Mode');
      return [];
    }
    let contexts: ContextInfo[];
    try {
      contexts = this.kube.contexts();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.setState(err instanceof NoKubeconfigError ? 'noKubeconfig' : 'badKubeconfig', err instanceof NoKubeconfigError ? 'no kubeconfig' : message);
      return [];
    }
    if (contexts.length === 0) {
      await this.setState('noContexts', 'no contexts in the kubeconfig');
      return [];
    }
    // The selected context decides the empty states; other contexts show their errors under their own root.
    const selected = contexts[0];
    try {
      const d = await this.discovery(selected.name);
      if (nothingFound(d)) {
        await this.setState('noNamespaces', `${selected.name}: no etcd pods`);
        return [];
      }
      void this.startWatch(d);
    } catch (err) {
      const kind = err instanceof ClusterError ? err.code : 'failed';
      const detail = err instanceof ClusterError ? err.detail : err instanceof Error ? err.message : String(err);
      await this.setState(kind === 'unauthorized' ? 'unauthorized' : 'unreachable', `${selected.name}: ${detail}`);
      return [];
    }
    await this.setState('ok');
    return contexts.map((info, i) => ({ type: 'context', info, selected: i === 0 }));
  }

  private async contextChildren(context: string): Promise<PodTreeNode[]> {
    let d: Discovery;
    try {
      d = await this.discovery(context);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return [{ type: 'message', id: `${context}/error`, label: 'Cannot list pods', detail: message, icon: 'error' }];
    }
    const shown = d.groups.filter((g) => g.pods.length > 0 || g.error || !g.absent || g.kind === 'go');
    if (shown.length === 0 || nothingFound(d)) {
      const none: MessageNode = {
        type: 'message',
        id: `${context}/none`,
        label: 'No etcd pods here',
        detail: 'Neither openshift-etcd-operator, openshift-etcd (app=etcd) nor kube-system (component=etcd) has pods. Add Go pods with the etcdProfiler.goPods setting.',
        icon: 'info',
      };
      return [none, ...shown.filter((g) => g.kind === 'go').map((group): GroupNode => ({ type: 'group', context, group }))];
    }
    return shown.map((group) => ({ type: 'group', context, group }));
  }

  private groupChildren(node: GroupNode): PodTreeNode[] {
    const { group, context } = node;
    const id = `${context}/${group.namespace}/${group.labelSelector ?? ''}`;
    if (group.error) return [{ type: 'message', id: `${id}/error`, label: group.error, detail: group.error, icon: 'warning' }];
    if (group.absent) return [{ type: 'message', id: `${id}/absent`, label: `Namespace ${group.namespace} not found`, icon: 'info' }];
    if (group.pods.length === 0) return [{ type: 'message', id: `${id}/empty`, label: 'No pods match', icon: 'info' }];
    return group.pods.map((p) => ({ ...p, type: 'pod' }));
  }

  getTreeItem(node: PodTreeNode): vscode.TreeItem {
    switch (node.type) {
      case 'context':
        return this.contextItem(node);
      case 'group':
        return this.groupItem(node);
      case 'pod':
        return this.podItem(node);
      case 'message': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = `msg:${node.id}`;
        item.tooltip = node.detail;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.contextValue = 'message';
        if (node.icon === 'error') item.command = { command: 'etcdProfiler.showOutput', title: 'Show output' };
        return item;
      }
    }
  }

  private contextItem(node: ContextNode): vscode.TreeItem {
    const { info } = node;
    const item = new vscode.TreeItem(
      info.name,
      node.selected ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `ctx:${info.name}`;
    item.description = info.server ? new URL(info.server).host : info.cluster;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${info.name}**${node.selected ? ' (shown first)' : ''}\n\n`);
    md.appendText(`cluster ${info.cluster}, user ${info.user}${info.server ? `\nserver ${info.server}` : ''}`);
    item.tooltip = md;
    item.iconPath = new vscode.ThemeIcon(node.selected ? 'vm-active' : 'vm');
    item.contextValue = node.selected ? 'context.selected' : 'context';
    return item;
  }

  private groupItem(node: GroupNode): vscode.TreeItem {
    const { group } = node;
    const item = new vscode.TreeItem(group.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `grp:${node.context}/${group.kind}/${group.namespace}/${group.labelSelector ?? ''}`;
    const count = group.pods.length;
    // Short, so the pod rows' status keeps the width of a narrow sidebar; the namespace is in the tooltip.
    item.description = group.error ? 'error' : `${count} pod${count === 1 ? '' : 's'}`;
    item.tooltip = group.error ?? `Namespace ${group.namespace}${group.labelSelector ? `, label selector ${group.labelSelector}` : ', all pods'}`;
    item.iconPath = new vscode.ThemeIcon(group.error ? 'warning' : GROUP_ICONS[group.kind]);
    item.contextValue = `group.${group.kind}`;
    return item;
  }

  private podItem(p: PodNode): vscode.TreeItem {
    const item = new vscode.TreeItem(p.name, vscode.TreeItemCollapsibleState.None);
    item.id = `pod:${p.context}/${p.namespace}/${p.name}`;
    const extra = [...this.decorators].map((d) => d.decorate(toPodTarget(p))).filter((x) => x !== undefined);
    const running = this.capturing.get(`${p.context}/${p.namespace}/${p.name}`);
    const capturing = running && [...running.values()].join(' · ');
    const row = podRowText(p, capturing, extra.map((x) => x.description ?? '').filter(Boolean));
    item.description = row.description;
    item.accessibilityInformation = { label: row.label };
    const t = p.lastTermination;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${p.namespace}/${p.name}**\n\n`);
    if (capturing) md.appendMarkdown(`Capturing: ${escapeMarkdown(capturing)}\n\n`);
    const lines = [
      `Phase: ${p.phase}${p.phase === 'Running' ? (p.ready ? ', ready' : ', not ready') : ''} (${p.readyContainers}/${p.containers.length} containers ready, ${p.restarts} restarts)`,
      `Node: ${p.node ?? '(not scheduled)'}${p.podIP ? `, IP ${p.podIP}` : ''}`,
      ...(t
        ? [`Last termination: container ${t.container}, ${t.reason}, exit code ${t.exitCode}${t.signal ? `, signal ${t.signal}` : ''}${t.finishedAt ? `, at ${t.finishedAt} (${ago(t.finishedAt)})` : ''}${t.previous ? ' (the previous instance: Open Crash Traceback reads its log)' : ''}`]
        : []),
    ].map(escapeMarkdown);
    // The pod's own URL (its IP or 127.0.0.1 inside the pod) cannot be opened from this machine: shown as
    // code, not as a link; a forward's local URL is what works here.
    lines.push(
      p.endpoint
        ? `pprof: \`${endpointUrl(p.endpoint)}\` in the pod (container ${escapeMarkdown(p.container)}, from ${escapeMarkdown(p.endpoint.source)}); reach it with Start Port-Forward`
        : 'pprof: not detected',
    );
    if (p.endpointNote) lines.push(escapeMarkdown(p.endpointNote));
    for (const x of extra) if (x.tooltip) lines.push(escapeMarkdown(x.tooltip));
    md.appendMarkdown(lines.join('  \n'));
    item.tooltip = md;
    item.iconPath = capturing ? new vscode.ThemeIcon('record', new vscode.ThemeColor('charts.red')) : podIcon(p);
    item.contextValue = `pod.${p.group}`;
    return item;
  }

  getParent(): undefined {
    return undefined;
  }

  /** Interval or watch refresh, per `etcdProfiler.autoRefresh`; only while the view is visible. */
  scheduleAutoRefresh(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const mode = getConfig().get<string>(ConfigKey.autoRefresh, 'watch');
    const visible = this.view?.visible ?? false;
    if (mode !== 'watch' || !visible) this.stopWatch();
    if (!visible || mode === 'off') return;
    if (mode === 'interval') {
      const seconds = Math.max(5, getConfig().get<number>(ConfigKey.refreshIntervalSeconds, 30));
      this.timer = setInterval(() => this.refresh(), seconds * 1000);
    } else if (this.discoveries.size > 0 && !this.watch) {
      // Shown again after a while hidden (or the mode changed): what is cached is stale, and the next render
      // of the roots starts the watch.
      this.refresh();
    }
  }

  private stopWatch(): void {
    this.watch?.stop();
    this.watch = undefined;
    if (this.watchRetry) clearTimeout(this.watchRetry);
    this.watchRetry = undefined;
  }

  /** Watches the selected context's groups; a change refreshes the tree (debounced). */
  private async startWatch(d: Discovery): Promise<void> {
    if (getConfig().get<string>(ConfigKey.autoRefresh, 'watch') !== 'watch' || !this.view?.visible) return;
    const targets: PodWatchTarget[] = d.groups
      .filter((g) => !g.absent && !g.error)
      .map((g) => ({ namespace: g.namespace, labelSelector: g.labelSelector, resourceVersion: g.resourceVersion }));
    const key = `${d.context}|${targets.map(watchTargetKey).join('|')}`;
    if (this.watch?.key === key || this.watchRetry) return;
    this.stopWatch();
    const entry = { key, stop: () => {} };
    this.watch = entry;
    try {
      entry.stop = await watchPods(
        this.kube.kubeConfigFor(d.context),
        targets,
        () => {
          if (this.debounce) clearTimeout(this.debounce);
          this.debounce = setTimeout(() => this.refresh(), 1000);
        },
        (err) => this.watchEnded(entry, err),
      );
    } catch (err) {
      this.watchEnded(entry, err);
    }
  }

  /** A watch ended (server timeout or error): list again and watch again after a pause. */
  private watchEnded(entry: { key: string }, err: unknown): void {
    if (this.watch !== entry) return;
    this.watch = undefined;
    if (err) this.output.debug(`Pod watch ended: ${err instanceof Error ? err.message : String(err)}`);
    this.watchRetry = setTimeout(() => {
      this.watchRetry = undefined;
      this.refresh();
    }, err ? 10_000 : 1000);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.stopWatch();
    this.changed.dispose();
  }
}
