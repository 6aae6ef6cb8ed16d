export {
  type AtomicWriteOptions,
  type FileWriter,
  fsyncDir,
  writeAndSync,
  writeDirAtomic,
  writeFileAtomic,
} from "./atomic-write.ts";
export {
  type HostTensor,
  type SafetensorsContents,
  MAX_HEADER_BYTES,
  SafetensorsError,
  parseSafetensors,
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
