/** The three weight stores behind one interface (a directory, HTTP with its server, Redis), and their errors. */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DirectoryWeightStore, HttpWeightStore, RedisWeightStore, type WeightServer, type WeightStore, WeightStoreError, openWeightStore, runWeightStore, serveWeightStore,
} from "../src/index.ts";
import { type RedisServer, startRedisServer } from "../src/testing/index.ts";

let redis: RedisServer;
let dir: string;
let server: WeightServer;
beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), "r1ts-stores-"));
  server = await serveWeightStore({ dir: join(dir, "served"), token: "s3cret" });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const MODEL = { model: { vocabSize: 6, dim: 4 } as never };
const bytes = (n: number) => Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + n) % 256);

describe.each([
  ["directory", () => new DirectoryWeightStore(join(dir, "d", "run1"))],
  ["HTTP", () => new HttpWeightStore(`${server.url}run1/`, "s3cret")],
  ["Redis", () => RedisWeightStore.forRun(redis.url, "run1")],
] as [string, () => WeightStore][])("%s weight store", (_name, make) => {
  it("holds the model config and each version's bytes, reopens by URL, prunes old versions", async () => {
    const store = make();
    await store.putModel(MODEL);
    for (const v of [0, 1, 2, 3]) await store.put(v, bytes(v));
    expect(await store.getModel()).toEqual(MODEL);
    expect(await store.get(2)).toEqual(bytes(2));
    const again = store instanceof HttpWeightStore ? new HttpWeightStore(store.url, "s3cret") : openWeightStore(store.url);
    expect(again.url).toBe(store.url);
    expect(await again.get(3)).toEqual(bytes(3));
    expect(await again.has(1)).toBe(true);
    await store.prune(2);
    expect([await store.has(0), await store.has(1), await store.has(2), await store.has(3)]).toEqual([false, false, true, true]);
    await expect(store.get(0)).rejects.toThrow(WeightStoreError);
    await expect(store.get(9)).rejects.toThrow(/does not hold policy version 9/);
    await store.close();
    await again.close();
  });

  it("says when the model config is missing", async () => {
    const store = make();
    const fresh = store instanceof HttpWeightStore ? new HttpWeightStore(`${server.url}empty/`, "s3cret") : store instanceof RedisWeightStore ? RedisWeightStore.forRun(redis.url, "empty") : new DirectoryWeightStore(join(dir, "empty"));
    await expect(fresh.getModel()).rejects.toThrow(/does not hold the model config/);
    await store.close();
    await fresh.close();
  });
});

describe("weight stores", () => {
  it("the HTTP server wants its token, refuses names outside its directory and writes atomically", async () => {
    await expect(new HttpWeightStore(`${server.url}run2/`, "wrong").put(0, bytes(0))).rejects.toThrow(/answered 401/);
    const response = await fetch(`${server.url}..%2Fescape.txt`, { method: "PUT", body: "x", headers: { authorization: "Bearer s3cret" } });
    expect(response.status).toBe(400);
    const store = new HttpWeightStore(`${server.url}run2/`, "s3cret");
    await store.put(5, bytes(5));
    expect((await readdir(join(dir, "served", "run2"))).filter((f) => !f.startsWith("."))).toEqual(["v000005.safetensors"]);
  });

  it("runWeightStore puts each run under its own name; a bad location fails naming the option", () => {
    expect(runWeightStore("redis", "r7", "redis://127.0.0.1:6379/2").url).toBe("redis://127.0.0.1:6379/2?prefix=r1ts%3Aweights%3Ar7");
    expect(runWeightStore("/shared/w", "r7", "redis://x").url).toBe("file:///shared/w/r7");
    expect(runWeightStore("file:///shared/w/", "r7", "redis://x").url).toBe("file:///shared/w/r7/");
    expect(runWeightStore("http://10.1.2.3:8700/base", "r7", "redis://x").url).toBe("http://10.1.2.3:8700/base/r7/");
    expect(() => runWeightStore("s3://bucket", "r7", "redis://x")).toThrow(/rollout.weights: expected "redis", an absolute directory, or a file:\/\/, http\(s\):\/\/ or redis:\/\/ URL, got "s3:\/\/bucket"/);
    expect(() => openWeightStore("ftp://x")).toThrow(/expected a file:\/\/, http\(s\):\/\/ or redis:\/\/ URL/);
  });
});
