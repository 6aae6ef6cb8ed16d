/**
 * Crash-safe writes: data is written to a temporary name in the same directory, flushed to disk,
 * and renamed into place (rename within one file system is atomic on POSIX and NTFS). A reader
 * therefore sees either the old content or the complete new content, never a partial file.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, normalize, sep } from "node:path";

/** Writes one file; the default writes and fsyncs it. Injectable (e.g. to simulate a crash in tests). */
export type FileWriter = (path: string, data: Uint8Array | string) => Promise<void>;

export interface AtomicWriteOptions {
  /** How each file's bytes reach disk (default: write + fsync). */
  writeFile?: FileWriter;
}

/** Write `data` to `path` and fsync it; fails if `path` already exists. */
export const writeAndSync: FileWriter = async (path, data) => {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/** A name unique to this process and call, e.g. `.tmp-1234-9f3a01c2`. */
function uniqueSuffix(kind: string): string {
  return `.${kind}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Flush a directory's entries (the renames in it) to disk, where the platform supports it. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    // Windows cannot open or fsync directories; some file systems refuse. Not fatal.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EACCES" && code !== "EINVAL" && code !== "ENOTSUP") {
      throw error;
    }
  } finally {
    await handle?.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** Atomically replace the file at `path` with `data` (temp file `.${base}.tmp-${pid}-${random}`). */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const write = options.writeFile ?? writeAndSync;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}${uniqueSuffix("tmp")}`);
  try {
    await write(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

/** Reject file names that would escape the directory being written. */
function checkRelativeName(dir: string, name: string): void {
  const normal = normalize(name);
  if (name === "" || isAbsolute(name) || normal === ".." || normal.startsWith(`..${sep}`)) {
    throw new Error(`writeDirAtomic(${dir}): file name "${name}" must be a relative path inside the directory`);
  }
}

/** A file's content, or a function that makes it just before it is written (so large files need not all be in memory at once). */
export type FileContent = Uint8Array | string | (() => Uint8Array | string | Promise<Uint8Array | string>);

/**
 * Atomically create or replace the directory `dir` with exactly `files` (name -> content or a producer
 * of it; names may contain subfolders). The content is built in `${dir}.tmp-<pid>-<random>` and renamed into place.
 * If `dir` exists it is first renamed to `${dir}.old-<pid>-<random>`, and removed after the new
 * directory is in place. A crash leaves `dir` either absent, old and complete, or new and complete;
 * leftovers carry the `.tmp-` / `.old-` suffixes.
 */
export async function writeDirAtomic(
  dir: string,
  files: Record<string, FileContent>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const write = options.writeFile ?? writeAndSync;
  for (const name of Object.keys(files)) checkRelativeName(dir, name);
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const temp = `${dir}${uniqueSuffix("tmp")}`;
  try {
    await mkdir(temp);
    for (const [name, data] of Object.entries(files)) {
      const target = join(temp, name);
      await mkdir(dirname(target), { recursive: true });
      await write(target, typeof data === "function" ? await data() : data);
    }
    await fsyncDir(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }

  let backup: string | undefined;
  try {
    if (await exists(dir)) {
      backup = `${dir}${uniqueSuffix("old")}`;
      await rename(dir, backup);
    }
    await rename(temp, dir);
  } catch (error) {
    // Put the previous directory back if it was moved away, and drop the new one.
    if (backup !== undefined && !(await exists(dir))) await rename(backup, dir).catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  await fsyncDir(parent);
  if (backup !== undefined) await rm(backup, { recursive: true, force: true });
}
