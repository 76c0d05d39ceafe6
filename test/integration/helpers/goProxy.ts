// A local Go module proxy for the source-fetch tests: serves the module versions it is given (.info, .mod, .zip,
// list) by the module proxy protocol, and forwards the checksum database (`/sumdb/…`) to the real proxy, as a
// company proxy does. Also writes module zips (stored entries) the way the proxy protocol lays them out.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateRawSync } from 'node:zlib';
import { escapePath } from '../../../src/source/modules.ts';

export const UPSTREAM = 'https://proxy.golang.org';

export interface ServedModule {
  path: string;
  version: string;
  zip: Buffer;
  goMod: string;
}

export interface GoProxy {
  url: string;
  /** Every path requested, in order. */
  requests: string[];
  /**
   * While true, a module zip is sent half-way and then held open, as a download over a slow link is: what a
   * cancelled fetch needs. Set it back to false and the next request gets the whole zip.
   */
  stallZips: boolean;
  close(): Promise<void>;
}

export async function startGoProxy(modules: readonly ServedModule[], forwardSumDb = true): Promise<GoProxy> {
  const requests: string[] = [];
  const state = { stallZips: false };
  const files = new Map<string, Buffer>();
  for (const m of modules) {
    const base = `/${escapePath(m.path)}/@v/`;
    const v = escapePath(m.version);
    files.set(`${base}${v}.zip`, m.zip);
    files.set(`${base}${v}.mod`, Buffer.from(m.goMod));
    files.set(`${base}${v}.info`, Buffer.from(JSON.stringify({ Version: m.version, Time: '2026-01-01T00:00:00Z' })));
    files.set(`${base}list`, Buffer.from(`${m.version}\n`));
  }
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const body = files.get(url);
    if (body) {
      res.writeHead(200, { 'content-length': body.length });
      if (state.stallZips && url.endsWith('.zip')) res.write(body.subarray(0, body.length >> 1));
      else res.end(body);
      return;
    }
    if (forwardSumDb && url.startsWith('/sumdb/')) {
      fetch(UPSTREAM + url).then(
        async (up) => {
          const b = Buffer.from(await up.arrayBuffer());
          res.writeHead(up.status, { 'content-length': b.length });
          res.end(b);
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get stallZips() {
      return state.stallZips;
    },
    set stallZips(on: boolean) {
      state.stallZips = on;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A zip of `files`, each named `prefix + name`: stored, or deflated with `deflate`; `mode` the Unix mode (0o100644). */
export function makeZip(prefix: string, files: readonly { name: string; data: Buffer; deflate?: boolean; mode?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(prefix + f.name);
    const crc = crc32(f.data);
    const body = f.deflate ? deflateRawSync(f.data) : f.data;
    const method = f.deflate ? 8 : 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(f.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, body);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(f.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((f.mode ?? 0o100644) << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
