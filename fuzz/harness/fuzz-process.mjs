// The fuzz process (plain JavaScript, so it needs no loader to start): it registers tsx's loader, then
// runs the cases the parent asked for and reports each one. A child process rather than a worker thread:
// a case that makes V8 abort (a fatal out-of-memory or "invalid size" error) ends this process only.
import { register } from "tsx/esm/api";

register();
const { runCases } = await import("./run-cases.ts");
process.once("message", async (request) => {
  try {
    await runCases(request, (message) => process.send(message));
  } catch (error) {
    // The harness's own failure (not a case's): say so and stop; the parent reports it.
    process.send({ type: "harness-error", message: String(error?.stack ?? error) });
  }
  process.disconnect();
});
process.send({ type: "ready" });
