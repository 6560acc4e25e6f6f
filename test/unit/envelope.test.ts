import { expect } from 'chai';
import {
  MAX_NAME_LENGTH,
  parseClientEnvelope,
  parseServerEnvelope,
  PROTOCOL_VERSION,
} from '../../src/index.js';
import { expectThrowsCode } from './support.js';

const longest = 'x'.repeat(MAX_NAME_LENGTH);
const tooLong = 'x'.repeat(MAX_NAME_LENGTH + 1);

const NON_OBJECTS: [string, unknown][] = [
  ['null', null],
  ['an array', [{ k: 'msg', type: 't' }]],
  ['a string', 'msg'],
  ['a number', 1],
  ['a boolean', true],
  ['undefined', undefined],
];

describe('protocol envelope', () => {
  it('announces protocol version 1 and names of at most 256 characters', () => {
    expect(PROTOCOL_VERSION).to.equal(1);
    expect(MAX_NAME_LENGTH).to.equal(256);
  });

  describe('parseClientEnvelope()', () => {
    describe('accepts', () => {
      it('a msg frame with type only', () => {
        expect(parseClientEnvelope({ k: 'msg', type: 'chat' })).to.deep.equal({
          k: 'msg',
          type: 'chat',
        });
      });

      it('a msg frame with payload and headers', () => {
        const frame = { k: 'msg', type: 'chat', payload: { text: 'hi' }, headers: { trace: 'a' } };
        expect(parseClientEnvelope(frame)).to.deep.equal(frame);
      });

      it('a msg frame with any JSON payload (null, array, primitive)', () => {
        for (const payload of [null, [1, 2], 'x', 0, false]) {
          expect(parseClientEnvelope({ k: 'msg', type: 't', payload })).to.deep.equal({
            k: 'msg',
            type: 't',
            payload,
          });
        }
      });

      it('a type and a topic of exactly the maximum length', () => {
        expect(parseClientEnvelope({ k: 'msg', type: longest })).to.have.property('type', longest);
        expect(parseClientEnvelope({ k: 'join', id: 1, topic: longest })).to.have.property(
          'topic',
          longest,
        );
      });

      it('a join frame', () => {
        expect(parseClientEnvelope({ k: 'join', id: 0, topic: 'room' })).to.deep.equal({
          k: 'join',
          id: 0,
          topic: 'room',
        });
      });

      it('a leave frame', () => {
        expect(parseClientEnvelope({ k: 'leave', id: 7, topic: 'room' })).to.deep.equal({
          k: 'leave',
          id: 7,
          topic: 'room',
        });
      });
    });

    describe('rejects with INVALID_MESSAGE', () => {
      for (const [name, value] of NON_OBJECTS) {
        it(`a frame that is ${name}`, () => {
          expectThrowsCode(() => parseClientEnvelope(value), 'INVALID_MESSAGE');
        });
      }

      it('a frame without "k"', () => {
        expectThrowsCode(
          () => parseClientEnvelope({ type: 'chat', payload: 1 }),
          'INVALID_MESSAGE',
        );
      });

      it('an unknown kind, and server-only kinds', () => {
        for (const k of ['bogus', 'MSG', 'welcome', 'ack', 'nack', 'error', 1, null]) {
          expectThrowsCode(
            () => parseClientEnvelope({ k, type: 't', id: 1, topic: 't' }),
            'INVALID_MESSAGE',
          );
        }
      });

      it('a msg frame whose type is missing, not a string, empty or too long', () => {
        for (const type of [undefined, 1, null, {}, ['t'], '', tooLong]) {
          expectThrowsCode(() => parseClientEnvelope({ k: 'msg', type }), 'INVALID_MESSAGE');
        }
      });

      it('a msg frame whose headers are not an object', () => {
        for (const headers of [null, 'h', 1, ['a'], true]) {
          expectThrowsCode(
            () => parseClientEnvelope({ k: 'msg', type: 't', headers }),
            'INVALID_MESSAGE',
          );
        }
      });

      for (const k of ['join', 'leave']) {
        it(`a ${k} frame whose id is missing, negative, fractional, unsafe or not a number`, () => {
          for (const id of [
            undefined,
            -1,
            1.5,
            Number.MAX_SAFE_INTEGER + 1,
            '1',
            null,
            Number.NaN,
            Infinity,
          ]) {
            expectThrowsCode(
              () => parseClientEnvelope({ k, id, topic: 'room' }),
              'INVALID_MESSAGE',
            );
          }
        });

        it(`a ${k} frame whose topic is missing, not a string, empty or too long`, () => {
          for (const topic of [undefined, 5, null, ['room'], '', tooLong]) {
            expectThrowsCode(() => parseClientEnvelope({ k, id: 1, topic }), 'INVALID_MESSAGE');
          }
        });
      }
    });
  });

  describe('parseServerEnvelope()', () => {
    describe('accepts', () => {
      it('a msg frame', () => {
        const frame = { k: 'msg', type: 'news', payload: [1], headers: { a: 1 } };
        expect(parseServerEnvelope(frame)).to.deep.equal(frame);
      });

      it('a welcome frame', () => {
        expect(parseServerEnvelope({ k: 'welcome', v: 1, id: 'abc' })).to.deep.equal({
          k: 'welcome',
          v: 1,
          id: 'abc',
        });
      });

      it('a welcome frame of another version (the client decides what to do with it)', () => {
        expect(parseServerEnvelope({ k: 'welcome', v: 2, id: 'abc' })).to.deep.equal({
          k: 'welcome',
          v: 2,
          id: 'abc',
        });
      });

      it('an ack frame', () => {
        expect(parseServerEnvelope({ k: 'ack', id: 3 })).to.deep.equal({ k: 'ack', id: 3 });
      });

      it('a nack frame, keeping only code and message of its error', () => {
        expect(
          parseServerEnvelope({
            k: 'nack',
            id: 3,
            error: { code: 'UNAUTHORIZED', message: 'no', stack: 's' },
          }),
        ).to.deep.equal({
          k: 'nack',
          id: 3,
          error: { code: 'UNAUTHORIZED', message: 'no' },
        });
      });

      it('an error frame, keeping only code and message', () => {
        expect(
          parseServerEnvelope({
            k: 'error',
            error: { code: 'INVALID_MESSAGE', message: 'bad', extra: 1 },
          }),
        ).to.deep.equal({
          k: 'error',
          error: { code: 'INVALID_MESSAGE', message: 'bad' },
        });
      });
    });

    describe('rejects with INVALID_MESSAGE', () => {
      for (const [name, value] of NON_OBJECTS) {
        it(`a frame that is ${name}`, () => {
          expectThrowsCode(() => parseServerEnvelope(value), 'INVALID_MESSAGE');
        });
      }

      it('a frame without "k"', () => {
        expectThrowsCode(() => parseServerEnvelope({ v: 1, id: 'x' }), 'INVALID_MESSAGE');
      });

      it('an unknown kind, and client-only kinds', () => {
        for (const k of ['bogus', 'join', 'leave', 0]) {
          expectThrowsCode(
            () => parseServerEnvelope({ k, id: 1, topic: 't', v: 1 }),
            'INVALID_MESSAGE',
          );
        }
      });

      it('a msg frame with a bad type or headers', () => {
        expectThrowsCode(() => parseServerEnvelope({ k: 'msg', type: '' }), 'INVALID_MESSAGE');
        expectThrowsCode(() => parseServerEnvelope({ k: 'msg', type: tooLong }), 'INVALID_MESSAGE');
        expectThrowsCode(
          () => parseServerEnvelope({ k: 'msg', type: 't', headers: [] }),
          'INVALID_MESSAGE',
        );
      });

      it('a welcome frame without a numeric version or a valid id', () => {
        expectThrowsCode(() => parseServerEnvelope({ k: 'welcome', id: 'x' }), 'INVALID_MESSAGE');
        expectThrowsCode(
          () => parseServerEnvelope({ k: 'welcome', v: '1', id: 'x' }),
          'INVALID_MESSAGE',
        );
        expectThrowsCode(() => parseServerEnvelope({ k: 'welcome', v: 1 }), 'INVALID_MESSAGE');
        expectThrowsCode(
          () => parseServerEnvelope({ k: 'welcome', v: 1, id: '' }),
          'INVALID_MESSAGE',
        );
        expectThrowsCode(
          () => parseServerEnvelope({ k: 'welcome', v: 1, id: 5 }),
          'INVALID_MESSAGE',
        );
      });

      it('an ack or nack frame with a bad id', () => {
        for (const id of [undefined, -1, 0.5, 'x']) {
          expectThrowsCode(() => parseServerEnvelope({ k: 'ack', id }), 'INVALID_MESSAGE');
          expectThrowsCode(
            () => parseServerEnvelope({ k: 'nack', id, error: { code: 'X', message: 'y' } }),
            'INVALID_MESSAGE',
          );
        }
      });

      it('a nack or error frame whose error is not { code: string, message: string }', () => {
        for (const error of [
          undefined,
          null,
          'x',
          [],
          { code: 'X' },
          { message: 'y' },
          { code: 1, message: 'y' },
          { code: 'X', message: 2 },
        ]) {
          expectThrowsCode(
            () => parseServerEnvelope({ k: 'nack', id: 1, error }),
            'INVALID_MESSAGE',
          );
          expectThrowsCode(() => parseServerEnvelope({ k: 'error', error }), 'INVALID_MESSAGE');
        }
      });
    });
  });
});
