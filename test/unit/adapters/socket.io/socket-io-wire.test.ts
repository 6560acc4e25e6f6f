import { expect } from 'chai';
import { SOCKET_IO_EVENTS } from '../../../../adapters/socket.io/index.js';
import {
  parseCloseEvent,
  toFrame,
  toStructuredFrame,
} from '../../../../adapters/socket.io/socket-io-wire.js';

describe('Socket.IO wire format', () => {
  it('reserves seven distinct one-letter events', () => {
    const names = Object.values(SOCKET_IO_EVENTS);
    expect(names).to.deep.equal(['m', 'v', 'l', 'c', 'a', 'p', 'o']);
    expect(Object.isFrozen(SOCKET_IO_EVENTS)).to.be.true;
  });

  describe('toStructuredFrame()', () => {
    it('keeps the event arguments as the frame, in order', () => {
      const args: unknown[] = ['chat', { a: 1 }, null, 0];
      expect(toStructuredFrame(args)).to.deep.equal(['chat', { a: 1 }, null, 0]);
      expect(toStructuredFrame([])).to.deep.equal([]);
    });

    it('drops the acknowledgement callback Socket.IO appends when the sender asked for one', () => {
      const frame = toStructuredFrame(['chat', { a: 1 }, () => undefined]);
      expect(frame).to.deep.equal(['chat', { a: 1 }]);
    });
  });

  describe('toFrame()', () => {
    it('passes strings through', () => {
      expect(toFrame('')).to.equal('');
      expect(toFrame('漢字 👋🏽')).to.equal('漢字 👋🏽');
    });

    it('turns a Buffer into a plain Uint8Array over the same bytes, without copying', () => {
      const backing = Buffer.from([0, 1, 2, 3, 4]);
      const view = backing.subarray(1, 4);
      const frame = toFrame(view) as Uint8Array;
      expect(Object.getPrototypeOf(frame)).to.equal(Uint8Array.prototype);
      expect([...frame]).to.deep.equal([1, 2, 3]);
      backing[2] = 9;
      expect(frame[1]).to.equal(9);
    });

    it('turns an ArrayBuffer (the browser binary type) and other views into a Uint8Array', () => {
      expect([...(toFrame(new Uint8Array([5, 6]).buffer) as Uint8Array)]).to.deep.equal([5, 6]);
      expect([...(toFrame(new Int8Array([-1, 2])) as Uint8Array)]).to.deep.equal([255, 2]);
    });

    it('returns undefined for anything else', () => {
      for (const value of [undefined, null, 1, true, {}, ['a']])
        expect(toFrame(value)).to.be.undefined;
    });
  });

  describe('parseCloseEvent()', () => {
    it('reads a code and a reason', () => {
      expect(parseCloseEvent(4000, 'done')).to.deep.equal({ code: 4000, reason: 'done' });
      expect(parseCloseEvent(1000, undefined)).to.deep.equal({ code: 1000, reason: '' });
    });

    it('ignores codes a peer may not send, non-numbers and over-long reasons', () => {
      expect(parseCloseEvent(1006, '')).to.be.undefined;
      expect(parseCloseEvent(1005, '')).to.be.undefined;
      expect(parseCloseEvent('4000', '')).to.be.undefined;
      expect(parseCloseEvent(4000.5, '')).to.be.undefined;
      expect(parseCloseEvent(4000, 'x'.repeat(124))).to.be.undefined;
    });
  });
});
