/**
 * A small HTTP server for an HttpWeightStore: files of one directory by name (GET, HEAD, PUT, DELETE).
 * PUT writes atomically (a reader sees the old file or the new one); names are plain relative paths
 * (no `..`); with a token, every request must carry `Authorization: Bearer <token>`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "@r1ts/core";

export interface WeightServerOptions {
  dir: string;
  /** Default 127.0.0.1 (say 0.0.0.0 to serve other machines). */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  token?: string;
  /** Largest accepted PUT body (default 4 GiB). */
  maxBytes?: number;
}

export interface WeightServer {
  /** The base URL of the served directory (an HttpWeightStore URL; add a run's folder to it). */
  readonly url: string;
  close(): Promise<void>;
}

const NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export async function serveWeightStore(options: WeightServerOptions): Promise<WeightServer> {
  const host = options.host ?? "127.0.0.1";
  const maxBytes = options.maxBytes ?? 4 * 2 ** 30;
  await mkdir(options.dir, { recursive: true });
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => send(res, 500, (error as Error).message));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, "a bearer token is required");
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1));
    if (!NAME.test(name) || name.split("/").some((part) => part === "." || part === "..")) return send(res, 400, `bad file name ${JSON.stringify(name)}`);
    const file = join(options.dir, name);
    switch (req.method) {
      case "GET":
      case "HEAD": {
        try {
          if (!(await stat(file)).isFile()) return send(res, 404, "not found");
        } catch {
          return send(res, 404, "not found");
        }
        const body = req.method === "GET" ? await readFile(file) : undefined;
        res.writeHead(200, { "content-type": "application/octet-stream", ...(body ? { "content-length": body.byteLength } : {}) });
        res.end(body);
        return;
      }
      case "PUT": {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of req) {
          size += (chunk as Buffer).byteLength;
          if (size > maxBytes) return send(res, 413, `larger than ${maxBytes} bytes`);
          chunks.push(chunk as Buffer);
        }
        await mkdir(dirname(file), { recursive: true });
        await writeFileAtomic(file, Buffer.concat(chunks));
        return send(res, 201, "stored");
      }
      case "DELETE":
        await rm(file, { force: true });
        return send(res, 204, "");
      default:
        return send(res, 405, `method ${req.method} not allowed`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function send(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(status === 204 ? undefined : text);
}
