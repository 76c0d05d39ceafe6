// Byte patterns of the etcd private keys the sandbox holds, for scans that prove no key leaked to disk or logs.
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

/** Needles for one PEM key: the PEM body lines, its base64 as a whole, the raw DER and the private scalar. */
export function keyNeedles(pem: string): Buffer[] {
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  const b64 = body.join('');
  const der = Buffer.from(b64, 'base64');
  const jwk = createPrivateKey(pem).export({ format: 'jwk' }) as { d?: string };
  const out = [Buffer.from(b64), der, ...body.filter((l) => l.length >= 32).map((l) => Buffer.from(l))];
  if (jwk.d) out.push(Buffer.from(jwk.d, 'base64url'), Buffer.from(jwk.d));
  return out;
}

/** Every private key in openshift-etcd's etcd secrets (read with an admin client). */
export async function etcdKeys(admin: KubeConfig): Promise<string[]> {
  const core = admin.makeApiClient(CoreV1Api);
  const keys: string[] = [];
  for (const name of ['etcd-all-certs', 'etcd-client']) {
    const s = await core.readNamespacedSecret({ name, namespace: 'openshift-etcd' });
    for (const [k, v] of Object.entries(s.data ?? {})) if (k.endsWith('.key')) keys.push(Buffer.from(v, 'base64').toString('utf8'));
  }
  return keys;
}

export function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** Names of the haystacks holding a needle (or "PRIVATE KEY"); empty when clean. */
export function findKeyBytes(haystacks: Array<[string, Buffer]>, needles: Buffer[]): string[] {
  const hits: string[] = [];
  for (const [where, data] of haystacks) {
    if (data.includes('PRIVATE KEY') || needles.some((n) => data.includes(n))) hits.push(where);
  }
  return hits;
}

export function readAll(files: string[], maxBytes = 256 * 1024 * 1024): Array<[string, Buffer]> {
  return files.filter((f) => statSync(f).size <= maxBytes).map((f) => [f, readFileSync(f)]);
}
