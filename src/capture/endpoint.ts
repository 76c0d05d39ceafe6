// The endpoint a capture talks to, built on the pod discovery's detection (src/cluster/endpoints.ts, pods.ts):
// adds which program serves it (for the 404 hint) and refuses early when etcd's spec says pprof is off.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { parseEtcdPodSpec } from '../cluster/endpoints.ts';
import { describePod, detectEndpoint as detectPodEndpoint, OPERATOR_NAMESPACE, type PodGroupKind } from '../cluster/pods.ts';
import { CaptureError, pprofSwitch, type EndpointFlavor } from './validate.ts';

export interface PprofEndpoint {
  scheme: 'http' | 'https';
  /** Port inside the pod (its own 127.0.0.1). */
  port: number;
  flavor: EndpointFlavor;
  /** The container that serves it (exec runs there). */
  container: string;
  /** How it was found, for messages. */
  source: string;
}

export function groupOf(pod: V1Pod): PodGroupKind {
  if (pod.metadata?.namespace === OPERATOR_NAMESPACE || /etcd-operator/.test(pod.metadata?.name ?? '')) return 'operator';
  if (parseEtcdPodSpec(pod)) return 'etcd';
  return 'go';
}

export function flavorOf(group: PodGroupKind): EndpointFlavor {
  return group;
}

/** Detects the endpoint; `port` forces one (the "Other Go pods" setting). */
export async function resolveEndpoint(kubeConfig: KubeConfig, pod: V1Pod, port?: number): Promise<PprofEndpoint> {
  const group = groupOf(pod);
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const info = await detectPodEndpoint(api, pod, describePod(pod, kubeConfig.getCurrentContext(), group), { port });
  const ns = pod.metadata?.namespace;
  const name = pod.metadata?.name;
  if (!info.endpoint) {
    throw new CaptureError(
      'pprof-disabled',
      `No pprof endpoint found for ${ns}/${name}${info.endpointNote ? ` (${info.endpointNote})` : ''}. To turn it on, ${pprofSwitch(flavorOf(group))}.`,
    );
  }
  return {
    scheme: info.endpoint.scheme,
    port: info.endpoint.port,
    flavor: flavorOf(group),
    container: info.container,
    source: info.endpoint.source === 'log' ? `log of ${info.container}` : info.endpoint.source,
  };
}
