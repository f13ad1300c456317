import { parseReplayTime, parseReplayWindow, ReplayTimeError } from './time';

const now = new Date('2026-11-30T12:00:00.000Z');

describe('parseReplayTime', () => {
  it.each([
    ['15m', '2026-11-30T11:45:00.000Z'],
    ['2h', '2026-11-30T10:00:00.000Z'],
    ['90s', '2026-11-30T11:58:30.000Z'],
    ['1.5h', '2026-11-30T10:30:00.000Z'],
    ['7d', '2026-11-23T12:00:00.000Z'],
    ['1w', '2026-11-23T12:00:00.000Z'],
    ['15m ago', '2026-11-30T11:45:00.000Z'],
    [' 2 h ', '2026-11-30T10:00:00.000Z'],
    ['now', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30', '2026-11-30T00:00:00.000Z'],
    ['2026-11-30T08:00:00Z', '2026-11-30T08:00:00.000Z'],
    ['2026-11-30T08:00:00.250Z', '2026-11-30T08:00:00.250Z'],
    ['2026-11-30T09:00:00+01:00', '2026-11-30T08:00:00.000Z'],
    ['2026-11-30 08:00Z', '2026-11-30T08:00:00.000Z'],
  ])('%s -> %s', (text, iso) => {
    expect(parseReplayTime(text, now).toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', '15', '15x', '-5m', '2026-13-01', '2026-11-30T25:00:00Z', '30/11/2026', '5m from now'])('refuses %j', (text) => {
    expect(() => parseReplayTime(text, now)).toThrow(ReplayTimeError);
  });

  it('names the option in its error', () => {
    expect(() => parseReplayTime('soon', now, '--until')).toThrow(/^--until wants an ISO date/);
  });
});

describe('parseReplayWindow', () => {
  it.each([
    ['2h', undefined, '2026-11-30T10:00:00.000Z', undefined],
    ['2h', '1h', '2026-11-30T10:00:00.000Z', '2026-11-30T11:00:00.000Z'],
    ['2026-11-30T08:00:00Z', 'now', '2026-11-30T08:00:00.000Z', '2026-11-30T12:00:00.000Z'],
  ])('--since %s --until %s', (since, until, from, to) => {
    const window = parseReplayWindow(since, until, now);
    expect(window.since.toISOString()).toBe(from);
    expect(window.until?.toISOString()).toBe(to);
  });

  it.each([
    ['1h', '2h', /must be after --since/],
    ['1h', '1h', /must be after --since/],
    ['2026-12-01', undefined, /is in the future/],
  ])('refuses --since %s --until %s', (since, until, message) => {
    expect(() => parseReplayWindow(since, until, now)).toThrow(message);
  });
});
