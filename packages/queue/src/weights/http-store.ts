/**
 * A weight store on an HTTP server: GET, PUT, HEAD and DELETE of files under a base URL (what
 * `serveWeightStore` and S3-style object stores with path-style URLs answer). The bearer token in
 * R1TS_WEIGHTS_TOKEN, when set, goes with every request.
 */
import { WeightStoreError } from "../errors.ts";
import { MODEL_FILE, type PolicyModel, type WeightStore, versionName } from "./weight-store.ts";

export class HttpWeightStore implements WeightStore {
  readonly url: string;
  /** Versions this client has put (pruned by DELETE; the server is not listed). */
  private readonly published = new Set<number>();

  constructor(url: string, private readonly token = process.env.R1TS_WEIGHTS_TOKEN) {
    this.url = url.endsWith("/") ? url : `${url}/`;
  }

  async putModel(model: PolicyModel): Promise<void> {
    await this.request("PUT", MODEL_FILE, new TextEncoder().encode(JSON.stringify(model)));
  }

  async getModel(): Promise<PolicyModel> {
    const bytes = await this.request("GET", MODEL_FILE);
    if (bytes === undefined) throw new WeightStoreError(`weight store ${this.url}: does not hold the model config (GET ${MODEL_FILE} found nothing; the trainer publishes it with its first rollouts)`);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as PolicyModel;
    } catch (error) {
      throw new WeightStoreError(`weight store ${this.url}: ${MODEL_FILE} is not valid JSON (${(error as Error).message})`);
    }
  }

  async put(version: number, safetensors: Uint8Array): Promise<void> {
    await this.request("PUT", versionName(version), safetensors);
    this.published.add(version);
  }

  async get(version: number): Promise<Uint8Array> {
    const bytes = await this.request("GET", versionName(version));
    if (bytes === undefined) throw new WeightStoreError(`weight store ${this.url}: does not hold policy version ${version} (GET ${versionName(version)} found nothing)`);
    return bytes;
  }

  async has(version: number): Promise<boolean> {
    return (await this.request("HEAD", versionName(version))) !== undefined;
  }

  async prune(keepFrom: number): Promise<void> {
    for (const v of [...this.published]) {
      if (v >= keepFrom) continue;
      await this.request("DELETE", versionName(v));
      this.published.delete(v);
    }
  }

  async close(): Promise<void> {}

  /** The body (an empty one for HEAD, PUT and DELETE), or undefined on 404. */
  private async request(method: string, name: string, body?: Uint8Array): Promise<Uint8Array | undefined> {
    const target = new URL(name, this.url).href;
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        body,
        headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body ? { "content-type": "application/octet-stream" } : {}) },
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new WeightStoreError(`weight store ${this.url}: ${method} ${target} failed (${(error as Error).cause ?? (error as Error).message})`);
    }
    if (response.status === 404) return undefined;
    if (!response.ok) throw new WeightStoreError(`weight store ${this.url}: ${method} ${target} answered ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
}
