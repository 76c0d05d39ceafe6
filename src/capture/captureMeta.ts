// The sidecar of a capture (src/profile/captureMeta.ts): after the capture is saved, two more requests to the same
// endpoint — etcd's `/version` (etcd only; else the image tag's version) and `/metrics` for `go_info` — and the
// container's image from the pod.
// Best effort: each request is bounded, a failure only leaves its field out, and the capture stands either way.
import { writeFile } from 'node:fs/promises';
import { etcdMainModules, etcdVersionOf, etcdVersionOfImage, goVersionOf, sidecarPath, type CaptureMeta } from '../profile/captureMeta.ts';
import { requestFromPod, type PodAnswer, type PodRequestOptions } from './podRequest.ts';
import { FILE_MODE } from './save.ts';

const META_TIMEOUT_MS = 15_000;

/** Reads what it can and writes `.<file>.meta.json` (0600). Returns what was written. */
export async function writeCaptureMeta(
  file: string,
  answer: PodAnswer,
  req: Pick<PodRequestOptions, 'kubeConfig' | 'namespace' | 'pod' | 'registry' | 'insecureSkipVerify' | 'signal'>,
  log: (line: string) => void,
): Promise<CaptureMeta> {
  const meta: CaptureMeta = {};
  const containers = answer.podObject.spec?.containers ?? [];
  const image = (containers.find((c) => c.name === answer.endpoint.container) ?? containers[0])?.image;
  if (image) meta.image = image;
  const signal = req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(META_TIMEOUT_MS)]) : AbortSignal.timeout(META_TIMEOUT_MS);
  const get = async (path: string): Promise<string | undefined> => {
    try {
      const a = await requestFromPod(
        { kubeConfig: req.kubeConfig, namespace: req.namespace, pod: req.pod, method: answer.method, endpoint: answer.endpoint, registry: req.registry, insecureSkipVerify: req.insecureSkipVerify, signal, maxBytes: 16 << 20 },
        path,
      );
      return a.status === 200 ? Buffer.from(a.body).toString('utf8') : undefined;
    } catch (err) {
      log(`Capture metadata: GET ${path} failed (${(err as Error).message.split('\n')[0]}); left out`);
      return undefined;
    }
  };
  if (answer.endpoint.flavor === 'etcd') {
    const v = await get('/version');
    const etcdVersion = (v ? etcdVersionOf(v) : undefined) ?? (image ? etcdVersionOfImage(image) : undefined);
    if (etcdVersion) {
      meta.etcdVersion = etcdVersion;
      const mods = etcdMainModules(etcdVersion);
      if (mods.length) meta.mainModules = mods;
    }
  }
  if (!req.signal?.aborted) {
    const metrics = await get('/metrics');
    const goVersion = metrics ? goVersionOf(metrics) : undefined;
    if (goVersion) meta.goVersion = goVersion;
  }
  try {
    await writeFile(sidecarPath(file), JSON.stringify(meta, null, 2) + '\n', { mode: FILE_MODE });
    log(`Capture metadata: ${JSON.stringify(meta)}`);
  } catch (err) {
    log(`Capture metadata not written: ${(err as Error).message}`);
  }
  return meta;
}
