// Lines that look like what gets printed on business documents: words mixed
// with numbers, dates, prices and codes. ASCII only, single spaces, no leading
// or trailing blanks, so the truth is exactly what a perfect reader returns.
import type { Rng } from './prng';
import { CODE_PREFIXES, CURRENCIES, MONTHS, WORDS } from './words';

/** Lines per item and words per line, as the corpus promises them. */
export const LINES_PER_ITEM = { min: 1, max: 4 } as const;
export const WORDS_PER_LINE = { min: 2, max: 6 } as const;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Groups thousands with commas: 1249 -> "1,249". */
export function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function date(rng: Rng): string[] {
  const year = rng.int(2019, 2027);
  const month = rng.int(1, 12);
  const day = rng.int(1, 28);
  switch (rng.int(0, 2)) {
    case 0:
      return [`${year}-${pad(month, 2)}-${pad(day, 2)}`];
    case 1:
      return [`${pad(day, 2)}/${pad(month, 2)}/${year}`];
    default:
      return [String(day), MONTHS[month - 1] as string, String(year)];
  }
}

function price(rng: Rng): string[] {
  const amount = `${groupThousands(rng.int(0, rng.chance(0.3) ? 99999 : 999))}.${pad(rng.int(0, 99), 2)}`;
  const currency = rng.pick(CURRENCIES);
  // "EUR 12.50" is two words, "$12.50" one.
  return `${currency}${amount}`.split(' ');
}

function code(rng: Rng): string[] {
  return [`${rng.pick(CODE_PREFIXES)}-${rng.int(2019, 2027)}-${pad(rng.int(1, 9999), 4)}`];
}

function number(rng: Rng): string[] {
  switch (rng.int(0, 3)) {
    case 0:
      return [String(rng.int(1, 99))];
    case 1:
      return [groupThousands(rng.int(100, 250000))];
    case 2:
      return [`#${rng.int(1000, 99999)}`];
    default:
      return [`${rng.int(1, 40)}.${rng.int(0, 9)}%`];
  }
}

function time(rng: Rng): string[] {
  return [`${pad(rng.int(0, 23), 2)}:${pad(rng.int(0, 59), 2)}`];
}

// Short words only, so that an address plus one word fits the narrowest page at the smallest size.
const SHORT_WORDS = WORDS.filter((w) => w.length <= 8);

function email(rng: Rng): string[] {
  return [`${rng.pick(SHORT_WORDS)}@${rng.pick(SHORT_WORDS)}.${rng.pick(['com', 'org', 'net', 'io'])}`];
}

// Only dictionary words change case: e-mail addresses and codes keep theirs.
const isWord = (w: string): boolean => /^[a-z]+$/.test(w);
const capitalise = (w: string): string => (isWord(w) ? w.charAt(0).toUpperCase() + w.slice(1) : w);
const upper = (w: string): string => (isWord(w) ? w.toUpperCase() : w);

/** One line of 2–6 space-separated words. */
export function generateLine(rng: Rng): string {
  const target = rng.int(WORDS_PER_LINE.min, WORDS_PER_LINE.max);
  const words: string[] = [];
  let plainOnly = true;
  while (words.length < target) {
    let piece: string[];
    if (rng.chance(0.72)) {
      piece = [rng.pick(WORDS)];
    } else {
      piece = rng.pick([date, price, code, number, time, email])(rng);
      // A multi-word token that does not fit becomes a plain word.
      if (words.length + piece.length > target) piece = [rng.pick(WORDS)];
      else plainOnly = false;
    }
    words.push(...piece);
  }

  const style = rng.next();
  let cased = words;
  if (style < 0.1) cased = words.map(upper);
  else if (style < 0.25) cased = words.map(capitalise);
  else if (style < 0.85) cased = [capitalise(words[0] as string), ...words.slice(1)];

  // Labels ("Total: $12.50") and sentence ends, as forms and letters print them.
  if (cased.length >= 3 && /^[A-Za-z]+$/.test(cased[0] as string) && rng.chance(0.25)) {
    cased = [`${cased[0]}:`, ...cased.slice(1)];
  } else if (plainOnly && rng.chance(0.2)) {
    cased = [...cased.slice(0, -1), `${cased[cased.length - 1]}.`];
  }
  return cased.join(' ');
}

/** The lines of one item, top to bottom. */
export function generateLines(rng: Rng): string[] {
  const count = rng.int(LINES_PER_ITEM.min, LINES_PER_ITEM.max);
  return Array.from({ length: count }, () => generateLine(rng));
}
