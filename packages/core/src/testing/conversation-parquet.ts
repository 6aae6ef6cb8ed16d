/**
 * The Parquet schema of a dataset whose prompt column is a conversation, as Hugging Face datasets (pyarrow)
 * store TRL's conversational format: `list<element: struct<content: string, role: string>>`, then plain
 * string columns. For tests that write such files with hyparquet-writer's `parquetWriteBuffer({ columnData, schema })`.
 */
export function conversationParquetSchema(conversationColumn: string, stringColumns: readonly string[]): Record<string, unknown>[] {
  return [
    { name: "root", num_children: 1 + stringColumns.length },
    { name: conversationColumn, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
    { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    ...stringColumns.map((name) => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" })),
  ];
}
