import * as ts from 'typescript';

/**
 * Edits a pipeline definition file (`pipelines/<name>/pipeline.ts`) as source
 * text: finds the `definePipeline({ … })` call with the TypeScript compiler API
 * and inserts a stage and its output topic by text splices at node positions,
 * so every byte outside the inserted lines and the one rewired `input` stays
 * as it was (docs/architecture.md, "Pipelines as data").
 */

/** Lower-case DNS label, as libs/pipeline/src/lib/definition.ts requires of stage and app names. */
export const STAGE_NAME_PATTERN = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

export class PipelineEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineEditError';
  }
}

/** A stage as the file writes it (string literals only; what the editor needs). */
export interface StageSummary {
  name: string;
  app?: string;
  input?: string;
  output?: string;
}

export interface PipelineSummary {
  name?: string;
  topics: string[];
  stages: StageSummary[];
  /** `output.topic`: the topic results go to. */
  resultsTopic?: string;
}

export interface StageInsertion {
  /** The new stage's name: also its app, its output topic and its Nx project. */
  name: string;
  /** The stage it follows (default: the second to last, so it runs just before the last). */
  after?: string;
  /** Optional `description` of the new stage. */
  description?: string;
}

export interface StageInsertionResult {
  /** The edited file. */
  source: string;
  pipeline: string;
  /** The stage the new one follows. */
  after: string;
  /** The stage whose `input` now is the new topic. */
  next: string;
  /** The topic the new stage consumes (what `after` writes). */
  input: string;
  /** The new topic, written by the new stage (its name). */
  output: string;
}

/** Reads the names, topics and stages of the `definePipeline({ … })` call in `source`. */
export function readPipelineSource(source: string, fileName = 'pipeline.ts'): PipelineSummary {
  const parsed = parsePipeline(source, fileName);
  return summarize(parsed);
}

/**
 * Adds stage `name` after stage `after`: a topic `name` next to the topic
 * `after` writes, the stage `{ name, app: name, input: <that topic>, output: name }`
 * right after `after` in `stages`, and the stage that read `after`'s output
 * now reads `name`. Throws PipelineEditError for an invalid or taken name, an
 * unknown stage, or a definition it cannot edit safely.
 */
export function insertStage(source: string, insertion: StageInsertion, fileName = 'pipeline.ts'): StageInsertionResult {
  const { name, description } = insertion;
  if (!STAGE_NAME_PATTERN.test(name)) {
    throw new PipelineEditError(`invalid stage name "${name}": it must be a lower-case DNS label (a-z, 0-9, "-", starting with a letter, at most 32 chars)`);
  }
  const parsed = parsePipeline(source, fileName);
  const summary = summarize(parsed);
  const pipeline = summary.name ?? '(unnamed)';
  const stageNames = summary.stages.map((s) => s.name);
  if (stageNames.includes(name)) throw new PipelineEditError(`pipeline ${pipeline} already has a stage "${name}"`);
  const sameApp = summary.stages.find((s) => s.app === name);
  if (sameApp) throw new PipelineEditError(`pipeline ${pipeline}'s stage "${sameApp.name}" already runs the app "${name}"`);
  if (summary.topics.includes(name)) throw new PipelineEditError(`pipeline ${pipeline} already has a topic "${name}" (the new stage's output topic takes its name)`);

  let afterIndex: number;
  if (insertion.after === undefined) {
    if (parsed.stages.length < 2) {
      throw new PipelineEditError(`pipeline ${pipeline} has a single stage, which writes its results; there is no stage to insert before it`);
    }
    afterIndex = parsed.stages.length - 2;
  } else {
    afterIndex = stageNames.indexOf(insertion.after);
    if (afterIndex < 0) throw new PipelineEditError(`pipeline ${pipeline} has no stage "${insertion.after}" (stages: ${stageNames.join(', ')})`);
  }
  const after = parsed.stages[afterIndex];
  const afterName = after.summary.name;
  const input = after.summary.output;
  if (input === undefined) throw new PipelineEditError(`stage "${afterName}" of pipeline ${pipeline} has no \`output\` topic to insert a stage after`);
  const consumers = parsed.stages.filter((s) => s.summary.input === input);
  if (consumers.length === 0) {
    const why = input === summary.resultsTopic ? ` ("${input}" is the pipeline's results topic): the new stage must go before the last stage` : '';
    throw new PipelineEditError(`no stage of pipeline ${pipeline} reads "${input}", the output of stage "${afterName}"${why}`);
  }
  if (consumers.length > 1) {
    throw new PipelineEditError(
      `stages ${consumers.map((c) => `"${c.summary.name}"`).join(' and ')} all read "${input}", the output of stage "${afterName}": insert the stage by hand`,
    );
  }
  const next = consumers[0];
  if (!next.inputLiteral) throw new PipelineEditError(`stage "${next.summary.name}"'s input is not a string literal`);
  const topicAnchorIndex = parsed.topics.properties.findIndex((p) => propertyName(p) === input);
  if (topicAnchorIndex < 0) throw new PipelineEditError(`pipeline ${pipeline} has no topic "${input}" written as a property of \`topics\``);

  const quote = quoteOf(after.outputLiteral ?? next.inputLiteral, source);
  const str = (value: string) => quoteString(value, quote);
  const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : str(name);
  const newline = source.includes('\r\n') ? '\r\n' : '\n';
  const sf = parsed.sourceFile;

  const topicText = `${key}: { description: ${str(`what the ${name} stage writes`)} }`;
  const stageFields = [
    `name: ${str(name)}`,
    `app: ${str(name)}`,
    ...(description ? [`description: ${str(description)}`] : []),
    `input: ${str(input)}`,
    `output: ${str(name)}`,
  ];
  const stageNode = after.node;
  let stageText: (indent: string) => string;
  const firstField = stageNode.properties[0];
  if (firstField && lineOf(sf, firstField.getStart(sf)) > lineOf(sf, stageNode.getStart(sf))) {
    const fieldIndent = indentationAt(source, firstField.getStart(sf));
    stageText = (indent) => ['{', ...stageFields.map((f) => `${fieldIndent}${f},`), `${indent}}`].join(newline);
  } else {
    stageText = () => `{ ${stageFields.join(', ')} }`;
  }

  const edits: Edit[] = [
    insertAfterElement(source, sf, parsed.topics.properties, topicAnchorIndex, () => topicText, newline),
    insertAfterElement(source, sf, parsed.stagesArray.elements, afterIndex, stageText, newline),
    { start: next.inputLiteral.getStart(sf), end: next.inputLiteral.end, text: str(name) },
  ];
  const edited = applyEdits(source, edits);

  // The result must read back as the intended chain; anything else is a bug here, not the user's.
  const check = summarize(parsePipeline(edited, fileName));
  const added = check.stages.find((s) => s.name === name);
  const rewired = check.stages.find((s) => s.name === next.summary.name);
  if (!added || added.input !== input || added.output !== name || rewired?.input !== name || !check.topics.includes(name)) {
    throw new PipelineEditError(`internal error: the edited ${fileName} does not read back as intended`);
  }
  return { source: edited, pipeline, after: afterName, next: next.summary.name, input, output: name };
}

interface ParsedStage {
  node: ts.ObjectLiteralExpression;
  summary: StageSummary;
  inputLiteral?: ts.StringLiteralLike;
  outputLiteral?: ts.StringLiteralLike;
}

interface ParsedPipeline {
  sourceFile: ts.SourceFile;
  name?: string;
  topics: ts.ObjectLiteralExpression;
  stagesArray: ts.ArrayLiteralExpression;
  stages: ParsedStage[];
  resultsTopic?: string;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function parsePipeline(source: string, fileName: string): ParsedPipeline {
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const calls: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'definePipeline') calls.push(node);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  if (calls.length !== 1) throw new PipelineEditError(`${fileName}: expected one definePipeline({ … }) call, found ${calls.length}`);
  const definition = calls[0].arguments[0];
  if (!definition || !ts.isObjectLiteralExpression(definition)) {
    throw new PipelineEditError(`${fileName}: definePipeline's argument is not an object literal`);
  }
  const topics = property(definition, 'topics');
  if (!topics || !ts.isObjectLiteralExpression(topics)) throw new PipelineEditError(`${fileName}: \`topics\` is not an object literal`);
  const stagesArray = property(definition, 'stages');
  if (!stagesArray || !ts.isArrayLiteralExpression(stagesArray)) throw new PipelineEditError(`${fileName}: \`stages\` is not an array literal`);
  const stages = stagesArray.elements.map((element, i): ParsedStage => {
    if (!ts.isObjectLiteralExpression(element)) throw new PipelineEditError(`${fileName}: stage #${i + 1} is not an object literal`);
    const name = stringProperty(element, 'name');
    if (!name) throw new PipelineEditError(`${fileName}: stage #${i + 1} has no string literal \`name\``);
    const app = stringProperty(element, 'app');
    const inputLiteral = stringProperty(element, 'input');
    const outputLiteral = stringProperty(element, 'output');
    return {
      node: element,
      summary: { name: name.text, app: app?.text, input: inputLiteral?.text, output: outputLiteral?.text },
      inputLiteral,
      outputLiteral,
    };
  });
  const output = property(definition, 'output');
  const resultsTopic = output && ts.isObjectLiteralExpression(output) ? stringProperty(output, 'topic')?.text : undefined;
  return { sourceFile, name: stringProperty(definition, 'name')?.text, topics, stagesArray, stages, resultsTopic };
}

function summarize(parsed: ParsedPipeline): PipelineSummary {
  return {
    name: parsed.name,
    topics: parsed.topics.properties.map(propertyName).filter((n): n is string => n !== undefined),
    stages: parsed.stages.map((s) => s.summary),
    resultsTopic: parsed.resultsTopic,
  };
}

function propertyName(p: ts.ObjectLiteralElementLike): string | undefined {
  if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) return undefined;
  const n = p.name;
  return ts.isIdentifier(n) || ts.isStringLiteralLike(n) || ts.isNumericLiteral(n) ? n.text : undefined;
}

function property(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  const p = object.properties.find((q) => propertyName(q) === name);
  return p && ts.isPropertyAssignment(p) ? p.initializer : undefined;
}

function stringProperty(object: ts.ObjectLiteralExpression, name: string): ts.StringLiteralLike | undefined {
  const value = property(object, name);
  return value && ts.isStringLiteralLike(value) ? value : undefined;
}

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line;
}

/** The whitespace that starts the line holding `pos`. */
function indentationAt(source: string, pos: number): string {
  const lineStart = source.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(source.slice(lineStart))?.[0] ?? '';
}

/** The quote character the file uses for string literals (single or double). */
function quoteOf(literal: ts.StringLiteralLike, source: string): string {
  return source[literal.getStart()] === '"' ? '"' : "'";
}

function quoteString(value: string, quote: string): string {
  const escaped = value.replace(/[\\\n\r'"]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === quote || c === '\\' ? `\\${c}` : c));
  return `${quote}${escaped}${quote}`;
}

/**
 * Inserts `text` as a new element after `list[index]`. On a list written one
 * element per line, the new element gets its own line (same indentation) after
 * the anchor's comma and any comment ending that line; on a one-line list it
 * goes inline after the anchor.
 */
function insertAfterElement(
  source: string,
  sf: ts.SourceFile,
  list: ts.NodeArray<ts.Node>,
  index: number,
  text: (indent: string) => string,
  newline: string,
): Edit {
  const anchor = list[index];
  const before = index > 0 ? list[index - 1].end : list.pos;
  const multiline = lineOf(sf, anchor.getStart(sf)) > lineOf(sf, before);
  if (!multiline) return { start: anchor.end, end: anchor.end, text: `, ${text('')}` };
  const indent = indentationAt(source, anchor.getStart(sf));
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, source);
  scanner.resetTokenState(anchor.end);
  if (scanner.scan() === ts.SyntaxKind.CommaToken) {
    const commaEnd = scanner.getTokenEnd();
    let lineEnd = source.indexOf('\n', commaEnd);
    if (lineEnd < 0) lineEnd = source.length;
    if (source[lineEnd - 1] === '\r') lineEnd--;
    const rest = source.slice(commaEnd, lineEnd).trim();
    const at = rest === '' || (rest.startsWith('//') && !rest.includes('*/')) ? lineEnd : commaEnd;
    return { start: at, end: at, text: `${newline}${indent}${text(indent)},` };
  }
  return { start: anchor.end, end: anchor.end, text: `,${newline}${indent}${text(indent)}` };
}

function applyEdits(source: string, edits: Edit[]): string {
  let out = source;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}
