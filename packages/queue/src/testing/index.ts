/** Helpers for tests and benches of distributed runs: a throwaway Redis. */
export * from "./redis-server.ts";
