/**
 * Choosing the device of a tfjs backend. An explicit device starts or fails with what to install;
 * `auto` tries gpu, node, wasm, cpu in that order and keeps the first that starts, recording why each
 * one before it was skipped.
 */
import { BackendError } from "@r1ts/core";
import type { Tf } from "../tf.ts";
import { DEVICES, DEVICE_INFO, isDeviceRequest } from "./devices.ts";
import type { TfjsDevice, TfjsDeviceRequest } from "./devices.ts";
import { defaultDeviceLoader } from "./loaders.ts";
import type { DeviceLoader } from "./loaders.ts";

/** A device that could not start, or could not be reached, and why. */
export class TfjsDeviceError extends BackendError {}

export interface DeviceAttempt {
  device: TfjsDevice;
  ok: boolean;
  /** Why it was skipped (the error it raised). */
  reason?: string;
}

export interface DeviceSelection {
  /** The device that runs the kernels. */
  device: TfjsDevice;
  /** What was asked for. */
  requested: TfjsDeviceRequest;
  tf: Tf;
  tfBackendName: string;
  /** Every device tried, in order (one entry unless `auto`). */
  attempts: DeviceAttempt[];
  facts: Record<string, unknown>;
  describe(): Record<string, unknown>;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One line saying which device was chosen and why the others were skipped. */
export function formatSelection(selection: Pick<DeviceSelection, "device" | "requested" | "attempts">): string {
  const skipped = selection.attempts.filter((a) => !a.ok).map((a) => `${a.device}: ${a.reason}`);
  const head = `tfjs device "${selection.device}" (${DEVICE_INFO[selection.device].description})`;
  return skipped.length === 0 ? `${head}, requested "${selection.requested}"` : `${head}, requested "${selection.requested}"; skipped ${skipped.join("; ")}`;
}

export async function selectDevice(requested: unknown = "auto", loader: DeviceLoader = defaultDeviceLoader()): Promise<DeviceSelection> {
  if (!isDeviceRequest(requested)) {
    throw new TfjsDeviceError(`tfjs backend: unknown device ${JSON.stringify(requested)}; expected one of "auto", ${DEVICES.map((d) => `"${d}"`).join(", ")}`);
  }
  const candidates: readonly TfjsDevice[] = requested === "auto" ? DEVICES : [requested];
  const attempts: DeviceAttempt[] = [];
  for (const device of candidates) {
    try {
      const loaded = await loader(device);
      attempts.push({ device, ok: true });
      const selection: DeviceSelection = {
        device,
        requested,
        tf: loaded.tf,
        tfBackendName: loaded.tfBackendName,
        attempts,
        facts: loaded.facts,
        describe: () => ({ device, requested, tfBackend: loaded.tfBackendName, ...loaded.facts, selection: formatSelection(selection), attempts }),
      };
      return selection;
    } catch (error) {
      attempts.push({ device, ok: false, reason: reasonOf(error) });
    }
  }
  if (requested !== "auto") {
    const info = DEVICE_INFO[requested];
    throw new TfjsDeviceError(`tfjs backend: device "${requested}" (${info.description}) cannot start: ${attempts[0].reason}. ${info.installHint}`);
  }
  throw new TfjsDeviceError(`tfjs backend: no device could start:\n${attempts.map((a) => `  ${a.device}: ${a.reason}`).join("\n")}`);
}
