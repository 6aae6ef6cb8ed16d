/**
 * Run configs (loadRunConfig) and pipeline configs (loadPipelineConfig), as YAML and as JSON: the
 * repository's example configs with fields set to awkward values, deleted or added; their text with
 * bytes edited or YAML's sharper tools spliced in (anchors and aliases, cycles, tags such as !!binary
 * and !!set, complex keys, merge keys); and random text.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import fc from "fast-check";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { loadPipelineConfig, loadRunConfig } from "@r1ts/core";
import { clip, editedJson, expandDeep, mutated, pathsOf, setPath } from "./arbitraries.ts";
import { defineTarget } from "../harness/target.ts";
import type { FuzzTarget } from "../harness/target.ts";

interface ConfigCase {
  format: "yaml" | "json";
  text: string;
}

const YAML_TRICKS = [
  "&a [*a]", "&a { self: *a }", "!!binary aGVsbG8=", "!!set { a, b }", "!!timestamp 2001-12-14", "!!float .inf", "!!int 0x1F",
  "? [a, b]\n: 1", "<<: { lr: 1 }", "*undefined_alias", "!custom 1", "|\n  block", ">-\n  folded", "'quoted'", "\"\\u0000\"", "~", "",
  "[[[[[[[[[[]]]]]]]]]]", "- - - - -", "\t", "%YAML 1.2\n---", "---\n---", "...", "@", "`", "{ a: 1, a: 2 }",
];

function configCase(base: unknown): fc.Arbitrary<ConfigCase> {
  const edited = editedJson(fc.constant(base), 3);
  const asYaml = edited.map((doc): ConfigCase => ({ format: "yaml", text: stringifyYaml(doc) }));
  const asJson = edited.map((doc): ConfigCase => ({ format: "json", text: JSON.stringify(doc, null, 2) }));
  const spliced = fc
    .tuple(fc.constantFrom("yaml" as const, "json" as const), fc.nat(), fc.constantFrom(...YAML_TRICKS), fc.constantFrom(": ", "\n", "\n  x: ", "- "))
    .map(([format, at, trick, glue]): ConfigCase => {
      const text = format === "yaml" ? stringifyYaml(base) : JSON.stringify(base, null, 2);
      const cut = at % (text.length + 1);
      return { format, text: text.slice(0, cut) + glue + trick + text.slice(cut) };
    });
  // A YAML trick as the value of one field: flow-style snippets that stay valid YAML where a value goes.
  const inlineTricks = YAML_TRICKS.filter((t) => !t.includes("\n") && t !== "" && !t.startsWith("%") && !t.startsWith("-"));
  const trickValue = fc
    .tuple(fc.nat(), fc.constantFrom(...inlineTricks))
    .map(([pick, trick]): ConfigCase => {
      const paths = pathsOf(base);
      const text = stringifyYaml(setPath(base, paths[pick % paths.length], "__R1TS_TRICK__"));
      return { format: "yaml", text: text.replace("__R1TS_TRICK__", trick) };
    });
  const bytes = fc
    .tuple(fc.constantFrom("yaml" as const, "json" as const), mutated(fc.constant(new TextEncoder().encode(stringifyYaml(base))), 3))
    .map(([format, b]): ConfigCase => ({ format, text: Buffer.from(b).toString("utf8") }));
  const random = fc.tuple(fc.constantFrom("yaml" as const, "json" as const), fc.string({ maxLength: 80 })).map(([format, text]): ConfigCase => ({ format, text }));
  return fc.oneof({ weight: 3, arbitrary: asYaml }, { weight: 2, arbitrary: asJson }, { weight: 2, arbitrary: spliced }, { weight: 3, arbitrary: trickValue }, { weight: 2, arbitrary: bytes }, { weight: 1, arbitrary: random });
}

function configTarget(name: string, description: string, example: string, read: (file: string) => Promise<unknown>): FuzzTarget<ConfigCase> {
  const base = parseYaml(readFileSync(new URL(`../../examples/${example}`, import.meta.url), "utf8")) as unknown;
  return defineTarget<ConfigCase>({
    name,
    description,
    arbitrary: configCase(base),
    async write(input, files) {
      const file = files.path(`config.${input.format}`);
      await writeFile(file, expandDeep(input.text));
      return file;
    },
    read,
    preview: (input, max) => clip(`[${input.format}] ${input.text}`, max),
  });
}

export const runConfigTarget = configTarget("run-config", "loadRunConfig: examples/grpo-arithmetic.yaml edited, as YAML and JSON; YAML tricks; random text", "grpo-arithmetic.yaml", loadRunConfig);
export const pipelineConfigTarget = configTarget("pipeline-config", "loadPipelineConfig: examples/r1-pipeline.yaml edited, as YAML and JSON; YAML tricks; random text", "r1-pipeline.yaml", loadPipelineConfig);
