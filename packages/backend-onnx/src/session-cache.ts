/** Sessions by signature, least recently used first out (eager mode makes one per kernel signature). */
import type { NativeSession } from "./ort.ts";

export interface CachedSession {
  session: NativeSession;
  inputNames: string[];
  outputNames: string[];
}

export class SessionCache {
  private readonly sessions = new Map<string, CachedSession>();
  built = 0;

  constructor(private readonly limit: number) {}

  get(key: string, make: () => CachedSession): CachedSession {
    const hit = this.sessions.get(key);
    if (hit) {
      this.sessions.delete(key);
      this.sessions.set(key, hit);
      return hit;
    }
    const made = make();
    this.built++;
    this.sessions.set(key, made);
    if (this.sessions.size > this.limit) {
      const [oldest, s] = this.sessions.entries().next().value as [string, CachedSession];
      this.sessions.delete(oldest);
      s.session.dispose();
    }
    return made;
  }

  get size(): number {
    return this.sessions.size;
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.session.dispose();
    this.sessions.clear();
  }
}
