// Reads a profiling bundle (.tar.gz) into memory: its manifest and files, nothing unpacked to disk. The archive
// is untrusted: paths are checked by the tar reader, the manifest's shape is checked here.
import { BUNDLE_FORMAT, type BundleManifest } from './bundleManifest.ts';
import { readTarGz, TarError } from './tar.ts';

export interface OpenedBundle {
  manifest: BundleManifest;
  files: Map<string, Uint8Array>;
}

export function readBundle(data: Uint8Array, name = 'the file'): OpenedBundle {
  let entries;
  try {
    entries = readTarGz(data);
  } catch (err) {
    throw new TarError(`${name} is not a profiling bundle: ${(err as Error).message}`);
  }
  const files = new Map<string, Uint8Array>();
  for (const e of entries) files.set(e.path, e.data);
  const raw = files.get('manifest.json');
  if (!raw) throw new TarError(`${name} is not a profiling bundle: it has no manifest.json.`);
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(Buffer.from(raw).toString('utf8')) as BundleManifest;
  } catch (err) {
    throw new TarError(`${name}: manifest.json is not JSON (${(err as Error).message}).`);
  }
  if (manifest?.format !== BUNDLE_FORMAT || !Array.isArray(manifest.pods) || !Array.isArray(manifest.files)) {
    throw new TarError(`${name}: manifest.json is not an etcd Profiler bundle manifest (format ${JSON.stringify(manifest?.format)}).`);
  }
  manifest.failed = Array.isArray(manifest.failed) ? manifest.failed : [];
  manifest.skipped = Array.isArray(manifest.skipped) ? manifest.skipped : [];
  files.delete('manifest.json');
  return { manifest, files };
}
