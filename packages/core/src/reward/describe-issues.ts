/** Turns a zod error into one line per problem: the field path, what was expected and what was given. */
import type { z } from "zod";

export function describeIssues(error: z.ZodError, root = ""): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].filter((p) => p !== "").join(".");
      return `  ${path === "" ? "(top level)" : path}: ${issue.message}`;
    })
    .join("\n");
}
