// What source resolution needs to know about the process a capture came from, kept in a sidecar beside the
// capture (`.<capture file name>.meta.json`, a dot file, so listings and `go tool pprof` see only the capture):
// the container image, etcd's version (its `/version`), the Go version that built it (`go_info` of `/metrics`),
// and the main modules at that version. Pure: the capture layer writes it, the source layer reads it.
import path from 'node:path';

export interface CaptureMeta {
  /** The container's image as the pod spec names it. */
  image?: string;
  /** `3.6.16`, from etcd's `/version` (`etcdserver`). */
  etcdVersion?: string;
  /** `go1.26.8`, from `go_info{version=…}` on `/metrics`. */
  goVersion?: string;
  /** `PATH@VERSION` of the modules whose frames carry no version (main-module builds from a checkout). */
  mainModules?: string[];
}

export function sidecarPath(captureFile: string): string {
  return path.join(path.dirname(captureFile), `.${path.basename(captureFile)}.meta.json`);
}

/** etcd's `/version` answer → `3.6.16`, or undefined. */
export function etcdVersionOf(versionJson: string): string | undefined {
  try {
    const v = (JSON.parse(versionJson) as { etcdserver?: unknown }).etcdserver;
    return typeof v === 'string' && /^\d+\.\d+\.\d+$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * etcd's version from an image tag, when /version did not answer: `quay.io/coreos/etcd:v3.5.9`,
 * `registry.k8s.io/etcd:3.5.12-0` → `3.5.9`, `3.5.12`. A digest (`…@sha256:…`, OpenShift's images) names none.
 */
export function etcdVersionOfImage(image: string): string | undefined {
  const m = /(?:^|\/)[^/:@]*etcd[^/:@]*:v?(\d+\.\d+\.\d+)(?:-\d+)?$/.exec(image);
  return m?.[1];
}

/** The `go_info{version="go1.26.8"}` sample of a Prometheus text exposition → `go1.26.8`, or undefined. */
export function goVersionOf(metrics: string): string | undefined {
  const m = /^go_info\{[^}]*\bversion="(go1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)"[^}]*\}/m.exec(metrics);
  return m?.[1];
}

/** The modules etcd `3.x.y` (3.5 and later) is made of, at that version: what its unversioned frames come from. */
export function etcdMainModules(etcdVersion: string): string[] {
  const m = /^3\.(\d+)\.\d+$/.exec(etcdVersion);
  if (!m || Number(m[1]) < 5) return [];
  const v = `v${etcdVersion}`;
  return ['go.etcd.io/etcd/server/v3', 'go.etcd.io/etcd/api/v3', 'go.etcd.io/etcd/client/v3', 'go.etcd.io/etcd/client/pkg/v3', 'go.etcd.io/etcd/pkg/v3', 'go.etcd.io/etcd/v3'].map(
    (p) => `${p}@${v}`,
  );
}

/** A sidecar's text, each field kept only when well-formed (the file is as untrusted as the capture). */
export function parseCaptureMeta(text: string): CaptureMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  if (!raw || typeof raw !== 'object') return {};
  const r = raw as Record<string, unknown>;
  const out: CaptureMeta = {};
  if (typeof r.image === 'string' && r.image.length <= 1000) out.image = r.image;
  if (typeof r.etcdVersion === 'string' && /^\d+\.\d+\.\d+$/.test(r.etcdVersion)) out.etcdVersion = r.etcdVersion;
  if (typeof r.goVersion === 'string' && /^go1\.\d+(\.\d+)?((rc|beta)\d+)?$/.test(r.goVersion)) out.goVersion = r.goVersion;
  if (Array.isArray(r.mainModules)) {
    const mods = r.mainModules.filter((m): m is string => typeof m === 'string' && m.length <= 600 && /^[^@\s]+@v[^@\s/]+$/.test(m));
    if (mods.length) out.mainModules = mods.slice(0, 50);
  }
  return out;
}
