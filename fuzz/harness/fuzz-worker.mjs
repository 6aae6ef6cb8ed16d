// The fuzz worker (plain JavaScript: a worker file gets no TypeScript loader from its parent). It
// registers tsx's loader, then runs the cases the main thread asked for and reports each one.
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { runCases } = await import("./run-cases.ts");
await runCases(workerData, (message) => parentPort.postMessage(message));
