// Client TLS material for an etcd member's pprof endpoint (etcd serves /debug/pprof on its mutual-TLS client
// port). The key stays in memory in Buffers: it is never written, logged, or put into an error message.
//
// Where it comes from, first that works:
//  1. secret <ns>/etcd-all-certs, keys etcd-serving-<node>.crt/.key (the member's own serving cert, which
//     OpenShift issues with client usage too), CA from configmap etcd-serving-ca `ca-bundle.crt`;
//  2. secret <ns>/etcd-client `tls.crt`/`tls.key`, CA from configmap etcd-ca-bundle;
//  3. where RBAC forbids reading secrets: `cat` of the same files inside the member's `etcd` container
//     (the static-pod cert paths, the paths in the pod's --cert-file/--key-file/--trusted-ca-file flags,
//     and kubeadm's /etc/kubernetes/pki/etcd/).
import tls from 'node:tls';
import net from 'node:net';
import { CoreV1Api, type KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { ClusterError, httpStatusOf, toClusterError } from './errors.ts';
import { readFileInPod } from './exec.ts';

export interface EtcdTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Where the material came from, for messages ("secret openshift-etcd/etcd-all-certs"): never the bytes. */
  source: string;
  /** Names the member's serving certificate is checked against (see serverIdentityCheck). */
  serverNames: string[];
}

/** File paths of the client material inside the member's container, for exec reads and exec captures. */
export interface EtcdCertPaths {
  container: string;
  cert: string;
  key: string;
  ca: string;
}

const STATIC_POD_CERTS = '/etc/kubernetes/static-pod-certs';

export function etcdContainerName(pod: V1Pod): string {
  const containers = pod.spec?.containers ?? [];
  return (containers.find((c) => c.name === 'etcd') ?? containers[0])?.name ?? 'etcd';
}

function flagValue(tokens: string[], flag: string): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === flag && i + 1 < tokens.length) return tokens[i + 1];
    if (t.startsWith(flag + '=')) return t.slice(flag.length + 1);
  }
  return undefined;
}

/** Expands ${VAR}/$VAR from the container's literal env; *NODE_NAME* variables become the pod's node. */
function expand(value: string, container: V1Container, nodeName: string): string | undefined {
  let unresolved = false;
  const out = value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name: string) => {
    const env = container.env?.find((e) => e.name === name);
    if (env?.value !== undefined) return env.value;
    if (/NODE_?NAME/i.test(name) && nodeName) return nodeName;
    unresolved = true;
    return '';
  });
  return unresolved ? undefined : out;
}

/** The etcd container's own flags (kubeadm, or OpenShift's shell wrapper), tokenised loosely. */
function pathsFromFlags(pod: V1Pod): EtcdCertPaths | undefined {
  const name = etcdContainerName(pod);
  const container = pod.spec?.containers?.find((c) => c.name === name);
  if (!container) return undefined;
  const tokens = [...(container.command ?? []), ...(container.args ?? [])].flatMap((s) => s.split(/[\s\\]+/)).filter(Boolean);
  const nodeName = pod.spec?.nodeName ?? '';
  const get = (flag: string): string | undefined => {
    const v = flagValue(tokens, flag)?.replace(/^["']|["']$/g, '');
    return v ? expand(v, container, nodeName) : undefined;
  };
  const cert = get('--cert-file');
  const key = get('--key-file');
  const ca = get('--trusted-ca-file');
  return cert && key && ca ? { container: name, cert, key, ca } : undefined;
}

/** Candidate file locations, most specific first. */
export function etcdCertPathCandidates(pod: V1Pod): EtcdCertPaths[] {
  const container = etcdContainerName(pod);
  const node = pod.spec?.nodeName ?? '';
  const list: EtcdCertPaths[] = [];
  if (node) {
    list.push({
      container,
      cert: `${STATIC_POD_CERTS}/secrets/etcd-all-certs/etcd-serving-${node}.crt`,
      key: `${STATIC_POD_CERTS}/secrets/etcd-all-certs/etcd-serving-${node}.key`,
      ca: `${STATIC_POD_CERTS}/configmaps/etcd-serving-ca/ca-bundle.crt`,
    });
  }
  const fromFlags = pathsFromFlags(pod);
  if (fromFlags && !list.some((p) => p.cert === fromFlags.cert)) list.push(fromFlags);
  list.push(
    { container, cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt', key: '/etc/kubernetes/pki/etcd/healthcheck-client.key', ca: '/etc/kubernetes/pki/etcd/ca.crt' },
    { container, cert: '/etc/kubernetes/pki/etcd/server.crt', key: '/etc/kubernetes/pki/etcd/server.key', ca: '/etc/kubernetes/pki/etcd/ca.crt' },
  );
  return list;
}

export function serverNamesFor(pod: V1Pod): string[] {
  const names = [pod.spec?.nodeName, pod.status?.hostIP, pod.status?.podIP, '127.0.0.1', 'localhost'];
  return [...new Set(names.filter((n): n is string => !!n))];
}

/**
 * The identity check for a member reached through a port-forward. The TCP peer is always 127.0.0.1, so
 * the usual "name in the URL" check says nothing. The chain is verified against the etcd CA by Node
 * (rejectUnauthorized); then the certificate must be valid for the member's node name, its node/pod IP,
 * or loopback (OpenShift and the sandbox put 127.0.0.1 and localhost in every serving cert). Accepting
 * loopback means any CA-signed member cert passes; the forward already pins which pod we talk to.
 */
export function serverIdentityCheck(names: string[]): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    for (const name of names) {
      if (!tls.checkServerIdentity(name, cert)) return undefined;
    }
    return new Error(
      `etcd's certificate (${cert.subjectaltname ?? cert.subject?.CN ?? 'no names'}) is not valid for any of ${names.join(', ')}.`,
    );
  };
}

/** SNI to send: the node name when it is a host name (SNI must not be an IP). */
export function sniFor(names: string[]): string | undefined {
  return names.find((n) => n !== 'localhost' && !net.isIP(n));
}

function pick(data: Record<string, string> | undefined, key: string): Buffer | undefined {
  const v = data?.[key];
  return v ? Buffer.from(v, 'base64') : undefined;
}

type SecretPair = { cert: Buffer; key: Buffer } | { status: number } | undefined;

async function readSecretPair(core: CoreV1Api, namespace: string, name: string, certKey: string, keyKey: string): Promise<SecretPair> {
  try {
    const secret = await core.readNamespacedSecret({ name, namespace });
    const cert = pick(secret.data, certKey);
    const key = pick(secret.data, keyKey);
    return cert && key ? { cert, key } : undefined;
  } catch (err) {
    const status = httpStatusOf(err);
    if (status === 403 || status === 404) return { status: status };
    throw toClusterError(err, { verb: 'get', resource: 'secrets', namespace, name });
  }
}

async function readCa(core: CoreV1Api, namespace: string, names: string[]): Promise<Buffer | undefined> {
  for (const name of names) {
    try {
      const cm = await core.readNamespacedConfigMap({ name, namespace });
      const ca = cm.data?.['ca-bundle.crt'];
      if (ca) return Buffer.from(ca, 'utf8');
    } catch (err) {
      const status = httpStatusOf(err);
      if (status !== 403 && status !== 404) throw toClusterError(err, { verb: 'get', resource: 'configmaps', namespace, name });
    }
  }
  return undefined;
}

export interface LoadEtcdTlsOptions {
  signal?: AbortSignal;
  /** Skip the API objects and read the files in the container (tests, or a user's choice). */
  viaExecOnly?: boolean;
}

export async function loadEtcdTls(kubeConfig: KubeConfig, pod: V1Pod, options: LoadEtcdTlsOptions = {}): Promise<EtcdTls> {
  const namespace = pod.metadata?.namespace ?? 'openshift-etcd';
  const podName = pod.metadata?.name ?? '';
  const node = pod.spec?.nodeName ?? '';
  const serverNames = serverNamesFor(pod);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const tried: string[] = [];

  if (!options.viaExecOnly) {
    if (node) {
      const pair = await readSecretPair(core, namespace, 'etcd-all-certs', `etcd-serving-${node}.crt`, `etcd-serving-${node}.key`);
      if (pair && 'cert' in pair) {
        const ca = await readCa(core, namespace, ['etcd-serving-ca', 'etcd-ca-bundle']);
        if (ca) return { cert: pair.cert, key: pair.key, ca, source: `secret ${namespace}/etcd-all-certs (etcd-serving-${node})`, serverNames };
      }
      tried.push(`secret ${namespace}/etcd-all-certs${pair && 'status' in pair ? ` (${pair.status})` : ''}`);
    }
    const client = await readSecretPair(core, namespace, 'etcd-client', 'tls.crt', 'tls.key');
    if (client && 'cert' in client) {
      const ca = await readCa(core, namespace, ['etcd-ca-bundle', 'etcd-serving-ca']);
      if (ca) return { cert: client.cert, key: client.key, ca, source: `secret ${namespace}/etcd-client`, serverNames };
    }
    tried.push(`secret ${namespace}/etcd-client${client && 'status' in client ? ` (${client.status})` : ''}`);
  }

  let lastError: unknown;
  for (const paths of etcdCertPathCandidates(pod)) {
    try {
      const read = (path: string) =>
        readFileInPod({ kubeConfig, namespace, pod: podName, container: paths.container, path, signal: options.signal });
      const cert = await read(paths.cert);
      const key = await read(paths.key);
      const ca = await read(paths.ca);
      return { cert, key, ca, source: `files in ${namespace}/${podName} container ${paths.container} (${paths.cert})`, serverNames };
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      lastError = err;
      tried.push(`exec cat ${paths.cert}`);
      if (err instanceof ClusterError && (err.code === 'forbidden' || err.code === 'unauthorized')) break;
    }
  }
  const why = lastError instanceof Error ? ` Last error: ${lastError.message}` : '';
  throw new ClusterError(
    lastError instanceof ClusterError && lastError.code === 'forbidden' ? 'forbidden' : 'failed',
    `No etcd client certificate for ${namespace}/${podName}: tried ${tried.join(', ')}. Needs \`get secrets\` or \`create pods/exec\` in ${namespace}.${why}`,
  );
}
