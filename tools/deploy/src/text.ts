import { GENERATED_MARKER } from './model';

/** Wraps prose to `width` columns at spaces (a word longer than that stays whole). */
export function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** The first lines of every generated file: the marker and which part of the generator writes it. */
export function generatedHeader(renderer: string, text = ''): string {
  return `${GENERATED_MARKER}\n(${renderer}).${text ? `\n\n${text}` : ''}`;
}

/** A comma list in prose: `a, b and c`. */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A plain-text file of records, one a line, after the header as `#` comments (read by the shell scripts). */
export function lineFile(header: string, lines: readonly string[]): string {
  const comment = header.split('\n').map((line) => (line ? `# ${line}` : '#'));
  return `${[...comment, ...lines].join('\n')}\n`;
}
