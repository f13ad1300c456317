import { z } from 'zod';

export interface ConfigRow {
  variable: string;
  /** The default as one would write it in the environment; undefined when there is none. */
  default: string | undefined;
  /** True when the variable has no default and is not optional. */
  required: boolean;
  description: string | undefined;
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatDefault).join(',');
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/** Looks through the wrappers of one field (default, optional, pipe…) for its default and description. */
function describeField(variable: string, field: z.ZodType): ConfigRow {
  let description: string | undefined;
  let defaultValue: string | undefined;
  let optional = false;
  let current: z.ZodType | undefined = field;
  while (current !== undefined) {
    description ??= current.description;
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      defaultValue ??= formatDefault(current.def.defaultValue);
      current = current.def.innerType as z.ZodType;
    } else if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodReadonly
    ) {
      optional = optional || current instanceof z.ZodOptional;
      current = current.def.innerType as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.def.in as z.ZodType;
    } else {
      current = undefined;
    }
  }
  return { variable, default: defaultValue, required: defaultValue === undefined && !optional, description };
}

/**
 * One row per variable of an env schema, in schema order, so the README's
 * configuration table can be generated and checked against the code.
 */
export function describeConfig(schema: z.ZodObject): ConfigRow[] {
  return Object.entries(schema.shape).map(([variable, field]) => describeField(variable, field as z.ZodType));
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** describeConfig as a Markdown table: Variable | Default | Description. */
export function renderConfigTable(schema: z.ZodObject): string {
  const rows = describeConfig(schema).map((row) => {
    const def =
      row.default === undefined
        ? row.required
          ? '(required)'
          : ''
        : row.default === ''
          ? '(empty)'
          : `\`${row.default}\``;
    return `| \`${row.variable}\` | ${cell(def)} | ${cell(row.description ?? '')} |`;
  });
  return ['| Variable | Default | Description |', '| --- | --- | --- |', ...rows].join('\n') + '\n';
}
