import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { type FileWriter, writeAndSync, writeDirAtomic, writeFileAtomic } from "../src/io/atomic-write.ts";

const roots: string[] = [];
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-atomic-"));
  roots.push(root);
});
afterAll(async () => {
  for (const dir of roots) await rm(dir, { recursive: true, force: true });
});

/** A writer that writes half of the data for the file named `failOn`, then throws. */
function crashingWriter(failOn: string): FileWriter {
  return async (path, data) => {
    if (path.endsWith(failOn)) {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      await writeFile(path, bytes.subarray(0, bytes.length >> 1));
      throw new Error("simulated crash");
    }
    await writeAndSync(path, data);
  };
}

describe("writeFileAtomic", () => {
  it("creates and replaces a file, leaving no temporary file", async () => {
    const path = join(root, "a.json");
    await writeFileAtomic(path, "first");
    await writeFileAtomic(path, new TextEncoder().encode("second"));
    expect(await readFile(path, "utf8")).toBe("second");
    expect(await readdir(root)).toEqual(["a.json"]);
  });

  it("keeps the old content and removes the temp file when the write fails", async () => {
    const path = join(root, "a.json");
    await writeFileAtomic(path, "old");
    await expect(writeFileAtomic(path, "new content", { writeFile: crashingWriter("") })).rejects.toThrow(
      "simulated crash",
    );
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await readdir(root)).toEqual(["a.json"]);
  });

  it("names its temp file .<base>.tmp-<pid>-<random> in the same directory", async () => {
    const seen: string[] = [];
    await writeFileAtomic(join(root, "x.bin"), "1", {
      writeFile: async (path, data) => {
        seen.push(path);
        await writeAndSync(path, data);
      },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].startsWith(join(root, `.x.bin.tmp-${process.pid}-`))).toBe(true);
  });
});

describe("writeDirAtomic", () => {
  it("creates a directory with nested files", async () => {
    const dir = join(root, "deep", "ckpt");
    await writeDirAtomic(dir, { "a.txt": "A", "sub/b.bin": new Uint8Array([1, 2]) });
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("A");
    expect(Array.from(await readFile(join(dir, "sub", "b.bin")))).toEqual([1, 2]);
    expect(await readdir(join(root, "deep"))).toEqual(["ckpt"]);
  });

  it("replaces an existing directory entirely, leaving no backup or temp folder", async () => {
    const dir = join(root, "ckpt");
    await writeDirAtomic(dir, { "a.txt": "old", "stale.txt": "x" });
    await writeDirAtomic(dir, { "a.txt": "new" });
    expect((await readdir(dir)).sort()).toEqual(["a.txt"]);
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("new");
    expect(await readdir(root)).toEqual(["ckpt"]);
  });

  it("leaves the previous directory intact when a write fails midway", async () => {
    const dir = join(root, "ckpt");
    await writeDirAtomic(dir, { "a.txt": "old-a", "b.txt": "old-b" });
    const attempt = writeDirAtomic(dir, { "a.txt": "new-a", "b.txt": "new-b" }, { writeFile: crashingWriter("b.txt") });
    await expect(attempt).rejects.toThrow("simulated crash");
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("old-a");
    expect(await readFile(join(dir, "b.txt"), "utf8")).toBe("old-b");
    expect(await readdir(root)).toEqual(["ckpt"]);
  });

  it("rejects file names that escape the directory", async () => {
    await expect(writeDirAtomic(join(root, "d"), { "../evil": "x" })).rejects.toThrow(/must be a relative path/);
    await expect(writeDirAtomic(join(root, "d"), { "/abs": "x" })).rejects.toThrow(/must be a relative path/);
    await mkdir(join(root, "unrelated"));
    expect((await readdir(root)).sort()).toEqual(["unrelated"]);
  });
});
