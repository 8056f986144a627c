// A loopback TCP relay between a Cyrus sync_client and sync_server that records both directions
// of every connection. It drops the server's `* COMPRESS DEFLATE` banner line so the client never
// turns compression on and the recording stays plain dlist text (spec cyrus-db-seen-dlist.md §10.3).
// Point the master's sync_port at `relay.port`.
import { createServer, connect, type Server } from 'node:net';
import { freePorts } from './instance.js';

export interface Capture {
  /** Bytes the client sent, in arrival order. */
  client: Buffer[];
  /** Bytes the server sent (banner without COMPRESS), in arrival order. */
  server: Buffer[];
}

export interface SyncRelay {
  port: number;
  /** One entry per accepted connection, in connection order. */
  captures: Capture[];
  close(): Promise<void>;
}

/** Starts a relay on a free 127.0.0.1 port forwarding to `targetPort`. */
export async function startSyncRelay(targetPort: number): Promise<SyncRelay> {
  const [port] = await freePorts(1);
  const captures: Capture[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const srv: Server = createServer((down) => {
    const cap: Capture = { client: [], server: [] };
    captures.push(cap);
    const up = connect(targetPort, '127.0.0.1');
    sockets.add(down).add(up);
    let banner = Buffer.alloc(0);
    let inBanner = true;
    down.on('data', (d) => {
      cap.client.push(Buffer.from(d));
      up.write(d);
    });
    up.on('data', (d) => {
      let out = Buffer.from(d);
      if (inBanner) {
        banner = Buffer.concat([banner, out]);
        const text = banner.toString('latin1');
        const okAt = text.search(/^\* OK .*\r\n/m);
        if (okAt < 0) return; // wait for the whole banner
        const end = text.indexOf('\r\n', okAt) + 2;
        const kept = text
          .slice(0, end)
          .split('\r\n')
          .filter((l) => !/^\* COMPRESS/i.test(l))
          .join('\r\n');
        out = Buffer.concat([Buffer.from(kept, 'latin1'), banner.subarray(end)]);
        inBanner = false;
      }
      cap.server.push(out);
      down.write(out);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    down.on('close', () => sockets.delete(down));
    up.on('close', () => sockets.delete(up));
  });
  await new Promise<void>((res) => srv.listen(port, '127.0.0.1', () => res()));
  return {
    port: port!,
    captures,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        srv.close(() => res());
      }),
  };
}

/** All bytes one side of a connection sent. */
export const clientBytes = (c: Capture): Buffer => Buffer.concat(c.client);
export const serverBytes = (c: Capture): Buffer => Buffer.concat(c.server);
