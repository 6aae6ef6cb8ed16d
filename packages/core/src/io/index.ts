export {
  type AtomicWriteOptions,
  type FileContent,
  type FileWriter,
  fsyncDir,
  writeAndSync,
  writeDirAtomic,
  writeFileAtomic,
} from "./atomic-write.ts";
export {
  type HostTensor,
  type SafetensorsContents,
  type SafetensorsEntry,
  type SafetensorsHeader,
  MAX_HEADER_BYTES,
  SafetensorsError,
  parseSafetensors,
  parseSafetensorsHeader,
  safetensorsHeaderLength,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from "./safetensors.ts";
export {
  type Checkpoint,
  CHECKPOINT_FILES,
  CheckpointError,
  checkpointDirName,
  checkpointPath,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
export { SafetensorsFile } from "./safetensors-file.ts";
