// The size a structured frame's decoding walk measures, which the rate limit charges instead of
// walking the frame a second time.
import { expect } from 'chai';
import { CompactCodec } from '../../../src/index.js';
import { frameSize } from '../../../src/protocol/frame-size.js';
import { takeStructuredSize } from '../../../src/protocol/structured.js';

describe('takeStructuredSize', () => {
  const codec = new CompactCodec({ maxBytes: 1024 * 1024 });

  it('is the JSON length of a frame of strings, null and objects, each character counted once', () => {
    const frames: unknown[][] = [
      ['say', 'x'.repeat(300)],
      [0, 'say', { 'trace-id': 'abc' }, null, { text: 'héllo', list: ['a', 'bb', null] }],
      [1, 7, 'lobby'],
    ];
    for (const frame of frames) {
      codec.decode(frame);
      const measured = takeStructuredSize();
      const exact = JSON.stringify(frame).length;
      // Numbers are counted as their longest form (25), so the size is never below the text's.
      expect(measured, JSON.stringify(frame)).to.be.at.least(exact);
      expect(measured, JSON.stringify(frame)).to.be.at.most(exact + 25 * 3);
    }
  });

  it('grows with the frame: a 100 KB string is charged about 100 KB, not six times it', () => {
    codec.decode(['say', 'y'.repeat(100_000)]);
    const measured = takeStructuredSize();
    expect(measured).to.be.within(100_000, 100_020);
    expect(measured).to.be.below(frameSize(['say', 'y'.repeat(100_000)], Infinity) + 20);
  });

  it('measures exactly when the frame is near the limit (the walk falls back to the exact size)', () => {
    const small = new CompactCodec({ maxBytes: 1000 });
    const frame = ['say', 'é'.repeat(300)];
    small.decode(frame);
    expect(takeStructuredSize()).to.equal(frameSize(frame, Infinity));
  });

  it('is read once: -1 after it was taken, and after a frame that did not decode', () => {
    codec.decode(['say', 1]);
    expect(takeStructuredSize()).to.be.greaterThan(0);
    expect(takeStructuredSize()).to.equal(-1);
    expect(() => codec.decode([99, 'nope'])).to.throw();
    expect(takeStructuredSize()).to.equal(-1);
  });
});
