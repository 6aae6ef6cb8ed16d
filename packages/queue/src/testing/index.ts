/** Helpers for tests and benches of distributed runs: a throwaway Redis, real worker processes. */
export * from "./redis-server.ts";
export * from "./worker-process.ts";
