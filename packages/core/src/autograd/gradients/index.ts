/** Importing this module registers every kernel's gradient. */
import "./elementwise.ts";
import "./reduce.ts";
import "./matmul.ts";
import "./layout.ts";
import "./fused.ts";
