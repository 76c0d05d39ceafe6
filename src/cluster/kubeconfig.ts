// Finds and loads kubeconfig files the way kubectl does (a setting, else $KUBECONFIG, else ~/.kube/config), and
// makes one KubeConfig per context so several clusters can be browsed side by side. Token kubeconfigs from
// `oc login` and exec auth plugins are handled by client-node itself.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export class NoKubeconfigError extends Error {
  readonly searched: string[];
  constructor(searched: string[]) {
    super(
      searched.length
        ? `No kubeconfig found (looked at ${searched.join(', ')}).`
        : 'No kubeconfig found: the setting and $KUBECONFIG are empty.',
    );
    this.name = 'NoKubeconfigError';
    this.searched = searched;
  }
}

export interface KubeconfigSource {
  /** The files that exist and were read, in merge order. */
  files: string[];
  /** Where they came from, for messages. */
  origin: 'setting' | 'KUBECONFIG' | 'default';
}

/**
 * The candidate files: the setting (one path or several joined like $KUBECONFIG), else $KUBECONFIG, else
 * `~/.kube/config`. `~` is expanded; relative paths resolve against `cwd`.
 */
export function kubeconfigCandidates(
  setting: string | undefined,
  env: Record<string, string | undefined> = process.env,
  home: string = homedir(),
  cwd: string = process.cwd(),
): { paths: string[]; origin: KubeconfigSource['origin'] } {
  const split = (list: string) =>
    list
      .split(delimiter)
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => (p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : resolve(cwd, p)));
  if (setting?.trim()) return { paths: split(setting), origin: 'setting' };
  if (env.KUBECONFIG?.trim()) return { paths: split(env.KUBECONFIG), origin: 'KUBECONFIG' };
  return { paths: [join(home, '.kube', 'config')], origin: 'default' };
}

export interface ContextInfo {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
  /** API server URL, when the cluster entry has one. */
  server?: string;
}

/** A loaded, merged kubeconfig. Immutable: reload to see changes on disk. */
export class Kubeconfig {
  readonly source: KubeconfigSource;
  private readonly merged: KubeConfig;

  constructor(merged: KubeConfig, source: KubeconfigSource) {
    this.merged = merged;
    this.source = source;
  }

  /** Name of the kubeconfig's current-context (may be empty). */
  get currentContext(): string {
    return this.merged.getCurrentContext();
  }

  /** All contexts, the current one first, the others in file order. */
  contexts(): ContextInfo[] {
    const current = this.currentContext;
    const all = this.merged.getContexts().map((c) => ({
      name: c.name,
      cluster: c.cluster,
      user: c.user,
      namespace: c.namespace,
      server: this.merged.getCluster(c.cluster)?.server,
    }));
    return [...all.filter((c) => c.name === current), ...all.filter((c) => c.name !== current)];
  }

  hasContext(name: string): boolean {
    return this.merged.getContextObject(name) !== null;
  }

  /** A KubeConfig whose current context is `name`, to make API clients for that context. */
  forContext(name: string): KubeConfig {
    if (!this.hasContext(name)) throw new Error(`Context "${name}" is not in ${this.source.files.join(', ')}.`);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: this.merged.clusters,
      users: this.merged.users,
      contexts: this.merged.contexts,
      currentContext: name,
    });
    return kc;
  }
}

/**
 * Loads and merges the candidate files that exist (the first file's current-context wins, as in kubectl).
 * Throws NoKubeconfigError when none exists; a file that does not parse throws with its path in the message.
 * Relative paths resolve against `base` (the extension passes the workspace folder, never the host's cwd).
 */
export function loadKubeconfig(setting?: string, env: Record<string, string | undefined> = process.env, base: string = process.cwd()): Kubeconfig {
  const { paths, origin } = kubeconfigCandidates(setting, env, homedir(), base);
  const files = paths.filter((p) => existsSync(p));
  if (files.length === 0) throw new NoKubeconfigError(paths);
  // As kubectl: for each cluster, user and context name the first file that defines it wins, and so does the
  // first non-empty current-context. (client-node's mergeConfig throws on duplicates instead.)
  const clusters = new Map<string, KubeConfig['clusters'][number]>();
  const users = new Map<string, KubeConfig['users'][number]>();
  const contexts = new Map<string, KubeConfig['contexts'][number]>();
  let currentContext = '';
  for (const file of files) {
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(file);
    } catch (err) {
      throw new Error(`Cannot read kubeconfig ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    for (const c of kc.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of kc.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
    currentContext ||= kc.currentContext ?? '';
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext,
  });
  return new Kubeconfig(merged, { files, origin });
}
