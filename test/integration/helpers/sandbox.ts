// Access to the running sandbox cluster (`npm run sandbox`): its info.json, admin and restricted KubeConfigs,
// and throwaway pods the capture tests may kill without disturbing the shared operator and etcd members.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { loadKubeconfig } from '../../../src/cluster/kubeconfig.ts';

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const SANDBOX_DIR = process.env.SANDBOX_DATA_DIR ?? path.join(REPO, '.sandbox');

export interface SandboxInfo {
  server: string;
  caFile: string;
  adminToken: string;
  restrictedToken: string;
  id: number;
  nodes: Array<{ name: string; ip: string }>;
  pods: Array<{ namespace: string; name: string; node: string }>;
  pid: number;
}

/** Throws when no sandbox runs: integration tests need one (`npm run sandbox`, or `npm test`). */
export function sandboxInfo(): SandboxInfo {
  const file = path.join(SANDBOX_DIR, 'info.json');
  if (!existsSync(file)) throw new Error(`${file} missing: start the sandbox with \`npm run sandbox\` first.`);
  return JSON.parse(readFileSync(file, 'utf8')) as SandboxInfo;
}

export function adminConfig(): KubeConfig {
  const kc = loadKubeconfig(path.join(SANDBOX_DIR, 'kubeconfig'));
  return kc.forContext(kc.currentContext);
}

export function restrictedConfig(): KubeConfig {
  const kc = loadKubeconfig(path.join(SANDBOX_DIR, 'kubeconfig-restricted'));
  return kc.forContext(kc.currentContext);
}

export function operatorPodName(info: SandboxInfo): string {
  const p = info.pods.find((x) => x.namespace === 'openshift-etcd-operator');
  if (!p) throw new Error('no operator pod in info.json');
  return p.name;
}

export function etcdPodNames(info: SandboxInfo): string[] {
  return info.pods.filter((x) => x.namespace === 'openshift-etcd').map((x) => x.name).sort();
}

export async function waitForPod(kc: KubeConfig, namespace: string, name: string, ready: (p: V1Pod) => boolean, timeoutMs = 60_000): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  let last: V1Pod | undefined;
  while (Date.now() < deadline) {
    try {
      last = await core.readNamespacedPod({ name, namespace });
      if (ready(last)) return last;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`pod ${namespace}/${name} not ready in ${timeoutMs} ms (phase ${last?.status?.phase})`);
}

export async function waitForPodGone(kc: KubeConfig, namespace: string, name: string, timeoutMs = 60_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await core.readNamespacedPod({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`pod ${namespace}/${name} still there after ${timeoutMs} ms`);
}

const running = (p: V1Pod): boolean =>
  p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready || c.state?.running);

/**
 * A second operator stand-in (same spec as the sandbox's, new name) on a node: a pod the tests may delete.
 * Its profiling endpoint is on once its log says so.
 */
export async function createScratchOperator(kc: KubeConfig, info: SandboxInfo, suffix: string, node?: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = 'openshift-etcd-operator';
  const original = await core.readNamespacedPod({ name: operatorPodName(info), namespace: ns });
  const name = `capture-test-${suffix}-${Math.random().toString(36).slice(2, 7)}`;
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name, namespace: ns, labels: { app: 'capture-test' } },
      spec: { ...original.spec!, nodeName: node ?? original.spec!.nodeName, terminationGracePeriodSeconds: 2 },
    },
  });
  await waitForPod(kc, ns, name, running);
  await waitForProfilingLog(kc, ns, name);
  return name;
}

/** Waits until the pod's log has the operator's `Starting profiling endpoint` line: its endpoint is up. */
export async function waitForProfilingLog(kc: KubeConfig, namespace: string, name: string, timeoutMs = 30_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const log = await core.readNamespacedPodLog({ name, namespace }).catch(() => '');
    if (String(log).includes('Starting profiling endpoint')) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${namespace}/${name} never logged its profiling endpoint`);
}

export async function deletePod(kc: KubeConfig, namespace: string, name: string, grace?: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: grace }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 404) throw err;
  });
}

export interface ScriptPodOptions {
  namespace: string;
  name: string;
  /** The sandbox has no scheduler: the node to run on. */
  node: string;
  /** JavaScript run by this very Node binary (pods see the host's files). */
  script: string;
  env?: Record<string, string>;
  hostNetwork?: boolean;
  /** Declared TCP ports, by name. */
  ports?: Record<string, number>;
  /** Ready once this port accepts connections. */
  readinessPort?: number;
  labels?: Record<string, string>;
}

/** A throwaway pod whose one container, `server`, runs a Node script. */
export async function createScriptPod(kc: KubeConfig, o: ScriptPodOptions): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: o.namespace,
    body: {
      metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
      spec: {
        nodeName: o.node,
        hostNetwork: o.hostNetwork,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'server',
            image: 'sandbox/node',
            command: [process.execPath, '-e', o.script],
            env: Object.entries(o.env ?? {}).map(([name, value]) => ({ name, value })),
            ports: Object.entries(o.ports ?? {}).map(([name, containerPort]) => ({ name, containerPort })),
            readinessProbe: o.readinessPort ? { tcpSocket: { port: o.readinessPort } as never, periodSeconds: 1 } : undefined,
          },
        ],
      },
    },
  });
}
