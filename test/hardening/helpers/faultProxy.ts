// A TCP proxy on 127.0.0.1 in front of the API server, which a test's kubeconfig points at (the API server's
// certificate is for 127.0.0.1, so TLS still verifies end to end). Faults: drop every live connection
// (WebSockets included) mid-transfer, delay every chunk, refuse connections (listener closed) for a while —
// an API server restart as clients see it.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export class FaultProxy {
  readonly upstreamPort: number;
  port = 0;
  /** Added before each chunk is passed on, both ways (ms). */
  delayMs = 0;
  connections = 0;
  dropped = 0;
  private server?: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();

  constructor(upstreamPort: number) {
    this.upstreamPort = upstreamPort;
  }

  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  private accept(client: net.Socket): void {
    this.connections++;
    const upstream = net.connect({ host: '127.0.0.1', port: this.upstreamPort });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    const fail = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // A side that closed cleanly: the other gets what is still delayed or buffered, then its end.
    let pending = 0;
    const closed = (other: net.Socket) => (): void => {
      this.pairs.delete(pair);
      const finish = (): void => {
        if (pending > 0) setTimeout(finish, 10);
        else other.end();
      };
      finish();
    };
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (this.delayMs > 0) {
          from.pause();
          pending++;
          setTimeout(() => {
            pending--;
            if (!to.destroyed) to.write(chunk);
            from.resume();
          }, this.delayMs);
        } else if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => {
        const finish = (): void => {
          if (pending > 0) setTimeout(finish, 10);
          else to.end();
        };
        finish();
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
    client.on('error', fail).on('close', closed(upstream));
    upstream.on('error', fail).on('close', closed(client));
  }

  get live(): number {
    return this.pairs.size;
  }

  /** Destroys every live connection: the API server dropping its WebSockets and requests. */
  dropAll(): number {
    const n = this.pairs.size;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    this.dropped += n;
    return n;
  }

  /** Drops everything and refuses connections for `ms`, then listens on the same port again. */
  async restart(ms: number): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, ms));
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    this.dropAll();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** A KubeConfig for `server` with a bearer token and the sandbox CA (the user object stays mutable). */
export function kubeConfigFor(server: string, caFile: string, token: string, name = 'hardening'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server, caData: readFileSync(caFile).toString('base64'), skipTLSVerify: false }],
    users: [{ name, token }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kc;
}
