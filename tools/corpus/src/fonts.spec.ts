import { installedFontFamilies, parseFontFamilies } from './fonts';

describe('parseFontFamilies', () => {
  it.each([
    ['', []],
    ['DejaVu Sans\n', ['DejaVu Sans']],
    // fontconfig lists style-specific families after a comma.
    ['DejaVu Sans,DejaVu Sans Condensed\nDejaVu Sans\n', ['DejaVu Sans', 'DejaVu Sans Condensed']],
    // Light weights and maths fonts read poorly; they are left out.
    ['DejaVu Sans,DejaVu Sans Light\nDejaVu Math TeX Gyre\n', ['DejaVu Sans']],
    [
      'Liberation Serif\nLiberation Sans Narrow\nNoto Sans Mono\nComic Neue\n',
      ['Liberation Sans Narrow', 'Liberation Serif', 'Noto Sans Mono'],
    ],
  ])('%j -> %j', (output, expected) => expect(parseFontFamilies(output)).toEqual(expected));
});

describe('installedFontFamilies', () => {
  it('finds at least one document font on this machine, sorted', () => {
    const families = installedFontFamilies();
    expect(families.length).toBeGreaterThan(0);
    expect([...families].sort()).toEqual(families);
  });
});
