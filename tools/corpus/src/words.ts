// Everyday words of invoices, receipts, letters and forms: the printed Latin
// text the pipeline is meant to read. Lower case ASCII; casing is applied later.
export const WORDS: readonly string[] = `
account address amount and annual apply approved april area attention august
available balance bank before bill billing box branch building business by
call card cash center change charge check city client close code company
complete confirm contact contract copy cost credit customer daily date day
december delivery department deposit description details discount document
due each early email end energy estimate every express fee february field
final first floor for form free from full general goods green group hall
hardware high home hotel hours house income information inquiry insurance
interest internal invoice issue item january july june key label late
leave letter limit line list local london main manager march market may
meeting member method monday month name net new next north note notice
november number october office online open order page paid paper park
part payment period personal phone place plan please policy post price
print private product project purchase quantity quarter rate receipt
received record reference refund regional remote rent report request
required reserved return review room sale saturday schedule second section
service shipping shop signature south special staff standard statement
station status stock store street subject subtotal summary sunday supply
support system table tax team terms thank the thursday time to total
tracking transfer travel tuesday unit until update valid value vat
wednesday week west with work year your
`
  .split(/\s+/)
  .filter((w) => w.length > 0);

/** Three-letter month names, as printed in dates like "14 Mar 2026". */
export const MONTHS: readonly string[] = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

/** Prefixes of document codes such as INV-2026-0042. */
export const CODE_PREFIXES: readonly string[] = ['INV', 'PO', 'REF', 'ORD', 'SKU', 'ACC', 'TKT', 'DOC'];

/** Currency markers the dictionary has (no euro or pound sign: ASCII only). */
export const CURRENCIES: readonly string[] = ['$', 'USD ', 'EUR ', 'GBP ', 'CHF '];
