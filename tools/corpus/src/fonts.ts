// Font families come from the machine (fontconfig), because librsvg silently
// falls back to another face for a family it lacks and the truth would lie.
import { execFileSync } from 'node:child_process';

/** Families that read like printed documents: no light weights, no symbol or maths fonts. */
const DOCUMENT_FAMILY =
  /^(DejaVu (Sans|Serif)( Condensed)?|DejaVu Sans Mono|Liberation (Sans|Serif|Mono)( Narrow)?|Noto (Sans|Serif)( Mono)?)$/;

/**
 * Parses `fc-list : family` output (one face per line, comma-separated
 * family names, e.g. "DejaVu Sans,DejaVu Sans Condensed") into the sorted
 * distinct families that suit printed documents.
 */
export function parseFontFamilies(fcListOutput: string): string[] {
  const families = new Set<string>();
  for (const line of fcListOutput.split('\n')) {
    for (const name of line.split(',')) {
      const family = name.trim();
      if (DOCUMENT_FAMILY.test(family)) families.add(family);
    }
  }
  // Sorted so that the same machine always offers the same choice list to the PRNG.
  return [...families].sort();
}

/** Document font families installed here; throws with a hint when there are none. */
export function installedFontFamilies(): string[] {
  let output: string;
  try {
    output = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' });
  } catch (err) {
    throw new Error(`cannot list fonts with fc-list (install fontconfig): ${(err as Error).message}`);
  }
  const families = parseFontFamilies(output);
  if (families.length === 0) {
    throw new Error(
      'no document fonts installed (expected DejaVu, Liberation or Noto; e.g. apt-get install fonts-dejavu-core)',
    );
  }
  return families;
}
