// Sandbox plumbing for the hardening tests: fault switches that act on real processes and API objects
// (SIGKILL of a container's process found under the sandbox's orchestrator, a pod recreated under a new
// name), service accounts with chosen rights and their tokens, and the fault bookkeeping.
import { readdirSync, readFileSync } from 'node:fs';
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { recordFigure } from './figures.ts';
import { deletePod, waitForPod, waitForPodGone } from '../../integration/helpers/sandbox.ts';

/** Runs one injected fault; it counts as survived only when every assertion in `body` held. */
export async function fault(source: string, name: string, body: () => Promise<void>): Promise<void> {
  recordFigure('faultsInjected', 1, `${source}/${name}`);
  await body();
  recordFigure('faultsSurvived', 1, `${source}/${name}`);
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

/** The process of a container: a descendant of the sandbox orchestrator whose argv matches. */
export function findProcess(orchestratorPid: number, match: (argv: string[]) => boolean): number | undefined {
  const queue = [orchestratorPid];
  const seen = new Set<number>();
  while (queue.length) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    for (const c of childrenOf(pid)) {
      try {
        const argv = readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').filter(Boolean);
        if (match(argv)) return c;
      } catch {
        // gone
      }
      queue.push(c);
    }
  }
  return undefined;
}

/** The etcd member process of a node (`etcd --name master-i …`). */
export function etcdMemberPid(orchestratorPid: number, node: string): number | undefined {
  return findProcess(orchestratorPid, (a) => /(^|\/)etcd$/.test(a[0] ?? '') && (a.includes(`--name=${node}`) || a.some((x, i) => x === '--name' && a[i + 1] === node)));
}

export const runningReady = (p: V1Pod): boolean =>
  p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).length > 0 && (p.status.containerStatuses ?? []).every((c) => c.ready);

/** Deletes a pod and creates the same spec under `newName` on the same node; waits until it is ready. */
export async function recreatePod(kc: KubeConfig, namespace: string, name: string, newName: string): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const old = await core.readNamespacedPod({ name, namespace });
  await deletePod(kc, namespace, name, 1);
  await waitForPodGone(kc, namespace, name);
  await core.createNamespacedPod({
    namespace,
    body: { metadata: { name: newName, namespace, labels: old.metadata?.labels, annotations: old.metadata?.annotations }, spec: old.spec },
  });
  return waitForPod(kc, namespace, newName, runningReady, 90_000);
}

export interface Grant {
  namespace: string;
  rules: Array<{ resources: string[]; verbs: string[] }>;
}

/** A service account with exactly `grants`, and a token for it (TokenRequest). */
export async function serviceAccountWith(admin: KubeConfig, namespace: string, name: string, grants: Grant[]): Promise<{ token: string; remove: () => Promise<void> }> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  for (const g of grants) {
    await rbac.createNamespacedRole({
      namespace: g.namespace,
      body: { metadata: { name }, rules: g.rules.map((r) => ({ apiGroups: [''], resources: r.resources, verbs: r.verbs })) },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: g.namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
  }
  const tr = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = tr.status?.token;
  if (!token) throw new Error('no token in the TokenRequest answer');
  const ignore404 = (e: unknown) => {
    if ((e as { code?: number }).code !== 404) throw e;
  };
  return {
    token,
    remove: async () => {
      await core.deleteNamespacedServiceAccount({ name, namespace }).catch(ignore404);
      for (const g of grants) {
        await rbac.deleteNamespacedRoleBinding({ name, namespace: g.namespace }).catch(ignore404);
        await rbac.deleteNamespacedRole({ name, namespace: g.namespace }).catch(ignore404);
      }
    },
  };
}

export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => `${e.parentPath}/${e.name}`);
  } catch {
    return [];
  }
}
