import { OffsetTracker } from './offset-tracker';

describe('OffsetTracker', () => {
  it.each([
    { name: 'in order', started: ['5', '6', '7'], completed: ['5', '6', '7'], resolved: ['5', '6', '7'] },
    { name: 'head last', started: ['5', '6', '7'], completed: ['7', '6', '5'], resolved: [undefined, undefined, '7'] },
    { name: 'middle first', started: ['1', '2', '3'], completed: ['2', '1', '3'], resolved: [undefined, '2', '3'] },
    { name: 'gaps in offsets (compacted topic)', started: ['10', '15', '20'], completed: ['15', '10', '20'], resolved: [undefined, '15', '20'] },
  ])('resolves only contiguous completions: $name', ({ started, completed, resolved }) => {
    const tracker = new OffsetTracker();
    started.forEach((o) => tracker.start(o));
    expect(completed.map((o) => tracker.complete(o))).toEqual(resolved);
    expect(tracker.inFlight).toBe(0);
  });

  it('handles offsets beyond 2^53', () => {
    const tracker = new OffsetTracker();
    tracker.start('9007199254740993');
    expect(tracker.complete('9007199254740993')).toBe('9007199254740993');
  });

  it('rejects out-of-order starts and unknown completions', () => {
    const tracker = new OffsetTracker();
    tracker.start('3');
    expect(() => tracker.start('3')).toThrow('increasing order');
    expect(() => tracker.complete('4')).toThrow('never started');
  });
});
