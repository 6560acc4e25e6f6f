import { expect } from 'chai';
import {
  MAX_NAME_LENGTH,
  parseClientEnvelope,
  parseServerEnvelope,
  PlugSocketError,
  PROTOCOL_VERSION,
} from '../../src/index.js';
import {
  MAX_NESTING_DEPTH,
  RefusedRequestError,
  requestIdOf,
} from '../../src/protocol/envelope.js';
import { MSG_KIND } from '../../src/protocol/kinds.js';
import { parseByTable, parseEnvelope } from '../../src/protocol/parse.js';
import { FRAME_KINDS } from '../../src/protocol/kinds.js';
import { expectThrowsCode } from './support.js';

const longest = 'x'.repeat(MAX_NAME_LENGTH);
const tooLong = 'x'.repeat(MAX_NAME_LENGTH + 1);
const error = { code: 'UNAUTHORIZED', message: 'no' };

const NON_OBJECTS: [string, unknown][] = [
  ['null', null],
  ['an array', [{ k: 'msg', type: 't' }]],
  ['a string', 'msg'],
  ['a number', 1],
  ['a boolean', true],
  ['undefined', undefined],
];

const BAD_IDS = [undefined, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, '1', null, Number.NaN, Infinity];
const BAD_NAMES = [undefined, 5, null, {}, ['room'], '', tooLong];

/** What `fn` threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.fail('expected a throw');
}

/** Asserts an INVALID_MESSAGE whose text matches `pattern`. */
function expectInvalid(fn: () => unknown, pattern: RegExp | string): void {
  expect(fn).to.throw(PlugSocketError, pattern).with.property('code', 'INVALID_MESSAGE');
}

describe('protocol envelope', () => {
  it('announces protocol version 1, names of at most 256 characters, nesting of at most 128 levels', () => {
    expect(PROTOCOL_VERSION).to.equal(1);
    expect(MAX_NAME_LENGTH).to.equal(256);
    expect(MAX_NESTING_DEPTH).to.equal(128);
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

      it('a req frame, bare and with headers, a target (a client id or { user }) and a payload', () => {
        expect(parseClientEnvelope({ k: 'req', id: 1, name: 'sum' })).to.deep.equal({
          k: 'req',
          id: 1,
          name: 'sum',
        });
        for (const to of ['c-2', { user: 'alice' }, longest, { user: longest }]) {
          const frame = { k: 'req', id: 2, name: 'sum', headers: { h: 1 }, to, payload: [1, 2] };
          expect(parseClientEnvelope(frame)).to.deep.equal(frame);
        }
        expect(parseClientEnvelope({ k: 'req', id: 3, name: 'x', payload: null })).to.deep.equal({
          k: 'req',
          id: 3,
          name: 'x',
          payload: null,
        });
      });

      it('an ack frame, without a result, with one, and with a null one', () => {
        expect(parseClientEnvelope({ k: 'ack', id: 4 })).to.deep.equal({ k: 'ack', id: 4 });
        expect(parseClientEnvelope({ k: 'ack', id: 4, result: { n: 3 } })).to.deep.equal({
          k: 'ack',
          id: 4,
          result: { n: 3 },
        });
        const nullResult = parseClientEnvelope({ k: 'ack', id: 4, result: null });
        expect(nullResult).to.have.property('result', null);
      });

      it('a nack frame, keeping only code and message of its error', () => {
        expect(
          parseClientEnvelope({ k: 'nack', id: 5, error: { ...error, stack: 's' } }),
        ).to.deep.equal({ k: 'nack', id: 5, error });
      });

      it('a cancel frame', () => {
        expect(parseClientEnvelope({ k: 'cancel', id: 6 })).to.deep.equal({ k: 'cancel', id: 6 });
      });

      it('a frame with keys the table does not name, ignoring them', () => {
        expect(parseClientEnvelope({ k: 'join', id: 1, topic: 't', extra: [1] })).to.include({
          k: 'join',
          id: 1,
          topic: 't',
        });
        // A rebuilt envelope holds the kind's fields only.
        expect(parseClientEnvelope({ k: 'nack', id: 1, error, extra: 1 })).to.deep.equal({
          k: 'nack',
          id: 1,
          error,
        });
      });

      it('returns the frame object itself unless a field is normalised (no copy per message)', () => {
        const frame = { k: 'msg', type: 't', payload: 1 };
        expect(parseClientEnvelope(frame)).to.equal(frame);
        const nack = { k: 'nack', id: 1, error };
        const parsed = parseClientEnvelope(nack);
        expect(parsed).to.not.equal(nack);
        expect((parsed as { error: unknown }).error).to.not.equal(error);
      });
    });

    describe('rejects with INVALID_MESSAGE', () => {
      for (const [name, value] of NON_OBJECTS) {
        it(`a frame that is ${name}`, () => {
          expectInvalid(() => parseClientEnvelope(value), 'a frame must be a JSON object');
        });
      }

      it('a frame without "k"', () => {
        expectInvalid(
          () => parseClientEnvelope({ type: 'chat', payload: 1 }),
          /missing frame kind/,
        );
      });

      it('an unknown kind, quoting it (at most 256 characters of it)', () => {
        expectInvalid(() => parseClientEnvelope({ k: 'shout' }), 'unknown frame kind "shout"');
        for (const k of ['bogus', 'MSG', 1, null, 'constructor', '__proto__', 'toString']) {
          expectThrowsCode(
            () => parseClientEnvelope({ k, type: 't', id: 1, topic: 't' }),
            'INVALID_MESSAGE',
          );
        }
        const message = (thrown(() => parseClientEnvelope({ k: 'y'.repeat(10_000) })) as Error)
          .message;
        expect(message.length).to.be.below(300);
        expectInvalid(() => parseClientEnvelope({ k: { a: 1 } }), 'unknown frame kind (object)');
      });

      it('the kinds only a server sends (welcome, error)', () => {
        expectInvalid(
          () => parseClientEnvelope({ k: 'welcome', v: 1, id: 'c-1' }),
          'a client may not send "welcome" frames',
        );
        expectInvalid(
          () => parseClientEnvelope({ k: 'error', error }),
          'a client may not send "error" frames',
        );
      });

      it('"from" on a msg or req (only a server says who sent a frame)', () => {
        expectInvalid(
          () => parseClientEnvelope({ k: 'msg', type: 't', from: 'c-2' }),
          '"from" may only be sent by a server',
        );
        expectInvalid(
          () => parseClientEnvelope({ k: 'req', id: 1, name: 'n', from: 'c-2' }),
          '"from" may only be sent by a server',
        );
      });

      it('a msg frame whose type is missing, not a string, empty or too long', () => {
        for (const type of BAD_NAMES) {
          expectInvalid(
            () => parseClientEnvelope({ k: 'msg', type }),
            '"type" must be a string of 1–256 characters',
          );
        }
      });

      it('a msg or req frame whose headers are not an object', () => {
        for (const headers of [null, 'h', 1, ['a'], true]) {
          expectInvalid(
            () => parseClientEnvelope({ k: 'msg', type: 't', headers }),
            '"headers" must be an object',
          );
          expectInvalid(
            () => parseClientEnvelope({ k: 'req', id: 1, name: 'n', headers }),
            '"headers" must be an object',
          );
        }
      });

      for (const k of ['join', 'leave']) {
        it(`a ${k} frame whose id is missing, negative, fractional, unsafe or not a number`, () => {
          for (const id of BAD_IDS) {
            expectInvalid(
              () => parseClientEnvelope({ k, id, topic: 'room' }),
              '"id" must be a non-negative integer',
            );
          }
        });

        it(`a ${k} frame whose topic is missing, not a string, empty or too long`, () => {
          for (const topic of BAD_NAMES) {
            expectInvalid(
              () => parseClientEnvelope({ k, id: 1, topic }),
              '"topic" must be a string of 1–256 characters',
            );
          }
        });
      }

      it('a req frame whose id or name is bad', () => {
        for (const id of BAD_IDS) {
          expectInvalid(() => parseClientEnvelope({ k: 'req', id, name: 'n' }), '"id" must be');
        }
        for (const name of BAD_NAMES) {
          expectInvalid(() => parseClientEnvelope({ k: 'req', id: 1, name }), '"name" must be');
        }
      });

      it('a req frame whose target is neither a client id nor exactly { user }', () => {
        for (const to of [
          null,
          '',
          tooLong,
          5,
          ['c-1'],
          {},
          { user: '' },
          { user: tooLong },
          { user: 5 },
          { user: 'a', extra: 1 },
          { id: 'a' },
          JSON.parse('{"__proto__":{"user":"a"}}') as unknown,
        ]) {
          expectInvalid(() => parseClientEnvelope({ k: 'req', id: 1, name: 'n', to }), /"to"/);
        }
      });

      it('an ack, nack or cancel frame with a bad id', () => {
        for (const id of BAD_IDS) {
          expectThrowsCode(() => parseClientEnvelope({ k: 'ack', id }), 'INVALID_MESSAGE');
          expectThrowsCode(() => parseClientEnvelope({ k: 'nack', id, error }), 'INVALID_MESSAGE');
          expectThrowsCode(() => parseClientEnvelope({ k: 'cancel', id }), 'INVALID_MESSAGE');
        }
      });

      it('a nack frame whose error is not { code: string, message: string }', () => {
        for (const bad of [undefined, null, 'x', [], { code: 'X' }, { code: 1, message: 'y' }]) {
          expectInvalid(
            () => parseClientEnvelope({ k: 'nack', id: 1, error: bad }),
            '"error" must have string "code" and "message"',
          );
        }
      });
    });
  });

  describe('parseServerEnvelope()', () => {
    describe('accepts', () => {
      it('a msg frame, with the id of the client it comes from', () => {
        const frame = { k: 'msg', type: 'news', payload: [1], headers: { a: 1 } };
        expect(parseServerEnvelope(frame)).to.deep.equal(frame);
        const relayed = { k: 'msg', type: 'said', from: 'c-1', payload: 'hi' };
        expect(parseServerEnvelope(relayed)).to.deep.equal(relayed);
      });

      it('a welcome frame, of version 1 or another (the client decides what to do with it)', () => {
        for (const v of [1, 2]) {
          expect(parseServerEnvelope({ k: 'welcome', v, id: 'abc' })).to.deep.equal({
            k: 'welcome',
            v,
            id: 'abc',
          });
        }
      });

      it('an ack frame, with and without a result', () => {
        expect(parseServerEnvelope({ k: 'ack', id: 3 })).to.deep.equal({ k: 'ack', id: 3 });
        expect(parseServerEnvelope({ k: 'ack', id: 3, result: 'r' })).to.deep.equal({
          k: 'ack',
          id: 3,
          result: 'r',
        });
      });

      it('a nack frame, keeping only code and message of its error', () => {
        expect(
          parseServerEnvelope({ k: 'nack', id: 3, error: { ...error, stack: 's' } }),
        ).to.deep.equal({ k: 'nack', id: 3, error });
      });

      it('an error frame, keeping only code and message', () => {
        expect(
          parseServerEnvelope({
            k: 'error',
            error: { code: 'INVALID_MESSAGE', message: 'bad', extra: 1 },
          }),
        ).to.deep.equal({ k: 'error', error: { code: 'INVALID_MESSAGE', message: 'bad' } });
      });

      it('a req frame, forwarded from a client', () => {
        const frame = { k: 'req', id: 9, name: 'ping', from: 'c-2', payload: { n: 1 } };
        expect(parseServerEnvelope(frame)).to.deep.equal(frame);
      });

      it('a cancel frame', () => {
        expect(parseServerEnvelope({ k: 'cancel', id: 9 })).to.deep.equal({ k: 'cancel', id: 9 });
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

      it('an unknown kind, and the kinds only a client sends (join, leave)', () => {
        for (const k of ['bogus', 0]) {
          expectInvalid(() => parseServerEnvelope({ k, id: 1, topic: 't' }), /unknown frame kind/);
        }
        for (const k of ['join', 'leave']) {
          expectInvalid(
            () => parseServerEnvelope({ k, id: 1, topic: 't' }),
            `a server may not send "${k}" frames`,
          );
        }
      });

      it('"to" on a req (only a client addresses another client)', () => {
        expectInvalid(
          () => parseServerEnvelope({ k: 'req', id: 1, name: 'n', to: 'c-1' }),
          '"to" may only be sent by a client',
        );
      });

      it('a msg or req frame whose "from" is not a client id', () => {
        for (const from of [null, '', tooLong, 1, { id: 'c' }]) {
          expectInvalid(
            () => parseServerEnvelope({ k: 'msg', type: 't', from }),
            '"from" must be a string of 1–256 characters',
          );
          expectInvalid(() => parseServerEnvelope({ k: 'req', id: 1, name: 'n', from }), /"from"/);
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
        expectInvalid(() => parseServerEnvelope({ k: 'welcome', id: 'x' }), '"v" must be a number');
        expectInvalid(
          () => parseServerEnvelope({ k: 'welcome', v: '1', id: 'x' }),
          '"v" must be a number',
        );
        for (const id of [undefined, '', 5, tooLong]) {
          expectInvalid(() => parseServerEnvelope({ k: 'welcome', v: 1, id }), /"id" must be/);
        }
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
        for (const bad of [
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
            () => parseServerEnvelope({ k: 'nack', id: 1, error: bad }),
            'INVALID_MESSAGE',
          );
          expectThrowsCode(
            () => parseServerEnvelope({ k: 'error', error: bad }),
            'INVALID_MESSAGE',
          );
        }
      });
    });
  });

  describe('the message fast path', () => {
    /** What parsing does: the envelope it returns, or the text of what it throws. */
    function outcome(parse: () => unknown): unknown {
      try {
        return { ok: parse() };
      } catch (error) {
        return {
          refused: (error as Error).message,
          id: (error as { requestId?: number }).requestId,
        };
      }
    }

    it('covers the msg row of the table as it is (update isValidMessage with the row)', () => {
      expect(MSG_KIND.fields.map((f) => [f.name, f.required, f.sentBy])).to.deep.equal([
        ['type', true, undefined],
        ['headers', false, undefined],
        ['from', false, 'server'],
        ['payload', false, undefined],
      ]);
    });

    it('accepts and refuses exactly what the table does, for every combination of field values', () => {
      const candidates = [undefined, null, '', 'x', tooLong, 0, {}, ['x']];
      const names = MSG_KIND.fields.map((f) => f.name);
      const mismatches: string[] = [];
      let checked = 0;
      const walk = (i: number, frame: Record<string, unknown>): void => {
        if (i === names.length) {
          for (const sender of ['client', 'server'] as const) {
            const fast = JSON.stringify(outcome(() => parseEnvelope(frame, sender)));
            const table = JSON.stringify(outcome(() => parseByTable(frame, sender)));
            if (fast !== table) mismatches.push(`${sender}: ${JSON.stringify(frame)}`);
            checked++;
          }
          return;
        }
        for (const value of candidates) {
          const next = { ...frame };
          if (value !== undefined) next[names[i]] = value;
          walk(i + 1, next);
        }
      };
      walk(0, { k: 'msg' });
      expect(mismatches).to.deep.equal([]);
      expect(checked).to.equal(2 * candidates.length ** names.length);
    });

    // The req and ack fast paths, held equal to the table the same way.
    for (const k of ['req', 'ack'] as const) {
      it(`accepts and refuses exactly what the table does for ${k}, for every combination of field values`, () => {
        const kind = FRAME_KINDS.find((spec) => spec.k === k)!;
        const names = kind.fields.map((f) => f.name);
        const candidates = [undefined, '', 'x', 7, {}, { user: 'u' }];
        // Payloads and results may be anything: a few values show that.
        const anything = [undefined, null, 'x'];
        const mismatches: string[] = [];
        let checked = 0;
        const walk = (i: number, frame: Record<string, unknown>): void => {
          if (i === names.length) {
            for (const sender of ['client', 'server'] as const) {
              const fast = JSON.stringify(outcome(() => parseEnvelope(frame, sender)));
              const table = JSON.stringify(outcome(() => parseByTable(frame, sender)));
              if (fast !== table) mismatches.push(`${sender}: ${JSON.stringify(frame)}`);
              checked++;
            }
            return;
          }
          const values = names[i] === 'payload' || names[i] === 'result' ? anything : candidates;
          for (const value of values) {
            const next = { ...frame };
            if (value !== undefined) next[names[i]] = value;
            walk(i + 1, next);
          }
        };
        walk(0, { k });
        expect(mismatches).to.deep.equal([]);
        expect(checked).to.equal(2 * candidates.length ** (names.length - 1) * anything.length);
      });
    }
  });

  describe('refused requests', () => {
    it('a malformed join, leave or req from a client with a valid id throws a RefusedRequestError carrying it', () => {
      for (const [frame, id, kind] of [
        [{ k: 'join', id: 4, topic: '' }, 4, 'join'],
        [{ k: 'leave', id: 0, topic: 7 }, 0, 'leave'],
        [{ k: 'req', id: 5, name: tooLong }, 5, 'req'],
        [{ k: 'req', id: 6, name: 'n', headers: [] }, 6, 'req'],
        [{ k: 'req', id: 7, name: 'n', to: { user: 'a', x: 1 } }, 7, 'req'],
        [{ k: 'req', id: 8, name: 'n', from: 'c-1' }, 8, 'req'],
      ] as const) {
        const error = thrown(() => parseClientEnvelope(frame));
        expect(error, JSON.stringify(frame)).to.be.instanceOf(RefusedRequestError);
        expect(PlugSocketError.is(error, 'INVALID_MESSAGE')).to.equal(true);
        expect(error).to.include({ requestId: id, requestKind: kind });
      }
    });

    it('a malformed req from a server with a valid id throws a RefusedRequestError too', () => {
      const error = thrown(() => parseServerEnvelope({ k: 'req', id: 3, name: 'n', to: 'c' }));
      expect(error).to.be.instanceOf(RefusedRequestError).and.include({ requestId: 3 });
    });

    it('other refusals are plain PlugSocketErrors: a bad id, a kind that is no request, a kind the side may not send', () => {
      for (const fn of [
        () => parseClientEnvelope({ k: 'join', id: -1, topic: 't' }),
        () => parseClientEnvelope({ k: 'join', topic: 't' }),
        () => parseClientEnvelope({ k: 'msg', id: 1, type: '' }),
        () => parseClientEnvelope({ k: 'nack', id: 1, error: null }),
        () => parseClientEnvelope({ k: 'welcome', id: 1, v: 'x' }),
        () => parseServerEnvelope({ k: 'join', id: 1, topic: '' }),
        () => parseServerEnvelope({ k: 'ack', id: -1 }),
      ]) {
        const error = thrown(fn);
        expect(PlugSocketError.is(error, 'INVALID_MESSAGE')).to.equal(true);
        expect(error).to.not.be.instanceOf(RefusedRequestError);
        expect(error).to.not.have.property('requestId');
      }
    });

    describe('requestIdOf()', () => {
      it('reads the id of a join, leave or req in the object form, whatever else is wrong', () => {
        expect(requestIdOf({ k: 'join', id: 1 })).to.equal(1);
        expect(requestIdOf({ k: 'leave', id: 0, topic: null })).to.equal(0);
        expect(requestIdOf({ k: 'req', id: Number.MAX_SAFE_INTEGER, name: [] })).to.equal(
          Number.MAX_SAFE_INTEGER,
        );
      });

      it('reads it in the compact form', () => {
        expect(requestIdOf([1, 2, 'room'])).to.equal(2);
        expect(requestIdOf([2, 3])).to.equal(3);
        expect(requestIdOf([7, 4, '', 'junk', 'more'])).to.equal(4);
      });

      it('is undefined for an invalid id, for frames that make no request, and for non-frames', () => {
        for (const decoded of [
          { k: 'join', id: -1 },
          { k: 'req', id: '1' },
          { k: 'req', id: 1.5 },
          { k: 'req' },
          [7, null],
          [1, Number.NaN],
          { k: 'ack', id: 1 },
          { k: 'nack', id: 1 },
          { k: 'cancel', id: 1 },
          { k: 'welcome', id: 1 },
          { k: 'msg', id: 1 },
          [4, 1],
          [8, 1],
          ['join', 1],
          [0, 1],
          [],
          { id: 1 },
          { k: 'constructor', id: 1 },
          null,
          'join',
          1,
          undefined,
        ]) {
          expect(requestIdOf(decoded), JSON.stringify(decoded)).to.equal(undefined);
        }
      });

      it('with a sender, only for kinds that side may send', () => {
        expect(requestIdOf({ k: 'join', id: 1 }, 'client')).to.equal(1);
        expect(requestIdOf({ k: 'join', id: 1 }, 'server')).to.equal(undefined);
        expect(requestIdOf([2, 1, 'x'], 'server')).to.equal(undefined);
        expect(requestIdOf({ k: 'req', id: 1 }, 'server')).to.equal(1);
        expect(requestIdOf([7, 1], 'client')).to.equal(1);
      });
    });
  });
});
