// The extension's view of the kubeconfig: which contexts exist, which one the user focuses on, an API client
// and an endpoint cache per context. Reloads when the setting or the kubeconfig files change (`oc login`).
import { watch, type FSWatcher } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { NoKubeconfigError, loadKubeconfig, type ContextInfo, type Kubeconfig } from '../cluster/kubeconfig.ts';
import { EndpointCache, discoverPods, parseGoPodSelectors, type Discovery } from '../cluster/pods.ts';
import { ConfigKey, affects, getConfig } from './config.ts';
import { RESTRICTED_MESSAGE } from './trust.ts';

const SELECTED_CONTEXT_KEY = 'etcdProfiler.selectedContext';

export class ClusterService implements vscode.Disposable {
  private loaded: { kubeconfig: Kubeconfig } | { error: Error } | undefined;
  private readonly apis = new Map<string, CoreV1Api>();
  private readonly caches = new Map<string, EndpointCache>();
  private readonly changed = new vscode.EventEmitter<void>();
  private fileWatchers: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly memento: vscode.Memento;
  private readonly output: vscode.LogOutputChannel;
  /** Fires when the kubeconfig was reloaded or another context was selected. */
  readonly onDidChange = this.changed.event;

  constructor(memento: vscode.Memento, output: vscode.LogOutputChannel) {
    this.memento = memento;
    this.output = output;
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, ConfigKey.kubeconfig)) this.reload();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.output.info('The folder is trusted now: reading the kubeconfig');
        this.reload();
      }),
    );
  }

  /**
   * The merged kubeconfig; throws NoKubeconfigError or a parse error (also kept for `loadError`). In Restricted Mode
   * it throws without reading anything: a kubeconfig's exec auth plugin runs a program.
   */
  kubeconfig(): Kubeconfig {
    if (!vscode.workspace.isTrusted) throw new Error(RESTRICTED_MESSAGE);
    if (!this.loaded) {
      try {
        // The setting is machine-scoped (user settings only); a relative path is under the first workspace folder.
        const base = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath ?? homedir();
        const kubeconfig = loadKubeconfig(getConfig().get<string>(ConfigKey.kubeconfig), process.env, base);
        this.loaded = { kubeconfig };
        this.output.info(`Kubeconfig: ${kubeconfig.source.files.join(', ')} (${kubeconfig.contexts().length} contexts, current "${kubeconfig.currentContext}")`);
        this.watchFiles(kubeconfig.source.files);
      } catch (err) {
        this.loaded = { error: err instanceof Error ? err : new Error(String(err)) };
        this.output.warn(this.loaded.error.message);
        // Notice when the missing file appears (e.g. after `oc login`).
        if (err instanceof NoKubeconfigError) this.watchFiles(err.searched);
      }
    }
    if ('error' in this.loaded) throw this.loaded.error;
    return this.loaded.kubeconfig;
  }

  /** Forgets the loaded kubeconfig and clients; the next use reads the files again. */
  reload(): void {
    this.loaded = undefined;
    this.apis.clear();
    this.changed.fire();
  }

  /** The context shown first: the user's pick (kept per workspace) if it still exists, else current-context. */
  get selectedContext(): string | undefined {
    let kc: Kubeconfig;
    try {
      kc = this.kubeconfig();
    } catch {
      return undefined;
    }
    const picked = this.memento.get<string>(SELECTED_CONTEXT_KEY);
    if (picked && kc.hasContext(picked)) return picked;
    return kc.currentContext && kc.hasContext(kc.currentContext) ? kc.currentContext : kc.contexts()[0]?.name;
  }

  async selectContext(name: string): Promise<void> {
    await this.memento.update(SELECTED_CONTEXT_KEY, name);
    this.changed.fire();
  }

  /** All contexts, the selected one first. */
  contexts(): ContextInfo[] {
    const all = this.kubeconfig().contexts();
    const selected = this.selectedContext;
    return [...all.filter((c) => c.name === selected), ...all.filter((c) => c.name !== selected)];
  }

  /** A KubeConfig whose current context is `context`: for port-forward, exec and capture. */
  kubeConfigFor(context: string): KubeConfig {
    return this.kubeconfig().forContext(context);
  }

  coreApi(context: string): CoreV1Api {
    let api = this.apis.get(context);
    if (!api) {
      api = this.kubeConfigFor(context).makeApiClient(CoreV1Api);
      this.apis.set(context, api);
    }
    return api;
  }

  /** Discovers the pods of a context with the "Other Go pods" setting applied. */
  async discover(context: string): Promise<Discovery> {
    const { selectors, problems } = parseGoPodSelectors(getConfig().get(ConfigKey.goPods));
    for (const p of problems) this.output.warn(p);
    let cache = this.caches.get(context);
    if (!cache) this.caches.set(context, (cache = new EndpointCache()));
    const server = this.kubeconfig().contexts().find((c) => c.name === context)?.server;
    return discoverPods(this.coreApi(context), context, { goPods: selectors, cache, server });
  }

  /**
   * Reloads when a kubeconfig file is written, created or removed (`oc login` rewrites it). Node's watcher on the
   * parent folder, because VS Code's file watcher does not report files outside the workspace reliably.
   */
  private watchFiles(files: string[]): void {
    for (const d of this.fileWatchers) d.dispose();
    this.fileWatchers = [];
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const names = byDir.get(dirname(f)) ?? new Set<string>();
      names.add(basename(f));
      byDir.set(dirname(f), names);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    for (const [dir, names] of byDir) {
      let watcher: FSWatcher;
      try {
        watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name !== null && !names.has(String(name))) return;
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => {
            this.output.info(`Kubeconfig changed in ${dir}: reloading`);
            this.reload();
          }, 300);
        });
      } catch {
        continue; // the folder does not exist (yet): nothing to watch
      }
      watcher.on('error', () => watcher.close());
      this.fileWatchers.push(new vscode.Disposable(() => {
        if (timer) clearTimeout(timer);
        watcher.close();
      }));
    }
  }

  dispose(): void {
    for (const d of [...this.fileWatchers, ...this.disposables]) d.dispose();
  }
}
