/**
 * `r1ts serve-weights --dir DIR`: an HTTP weight store for queue-engine runs whose machines share no file
 * system: the trainer PUTs each policy version, the workers GET it (rollout.weights: http://host:port/).
 */
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { integerFlag, parseFlags } from "./flags.ts";

const usage = `usage: r1ts serve-weights --dir DIR [--host HOST] [--port PORT] [--token TOKEN]

Serves DIR over HTTP (GET, HEAD, PUT, DELETE of files) as a weight store: set the trainer's
rollout.weights to http://HOST:PORT/. Runs until SIGINT or SIGTERM.

  --dir DIR      where the files live
  --host HOST    address to listen on (default 127.0.0.1; 0.0.0.0 serves other machines)
  --port PORT    port (default 8700)
  --token TOKEN  require "Authorization: Bearer TOKEN" (the trainer and workers read R1TS_WEIGHTS_TOKEN)`;

export const serveWeightsCommand: Command = {
  name: "serve-weights",
  summary: "serve a directory over HTTP as the weight store of queue-engine runs",
  usage,
  async run(args) {
    const { values } = parseFlags(args, usage, { dir: { type: "string" }, host: { type: "string" }, port: { type: "string" }, token: { type: "string" } });
    if (values.dir === undefined) throw new UsageError(`--dir is required\n\n${usage}`);
    const port = integerFlag("port", values.port, 0) ?? 8700;
    if (port > 65535) throw new UsageError(`--port must be a port number, got ${values.port}`);
    const { serveWeightStore } = await import("@r1ts/queue");
    const server = await serveWeightStore({ dir: values.dir as string, host: values.host as string | undefined, port, token: (values.token as string | undefined) ?? process.env.R1TS_WEIGHTS_TOKEN });
    console.error(`serving ${values.dir} at ${server.url}`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server.close();
    return 0;
  },
};
