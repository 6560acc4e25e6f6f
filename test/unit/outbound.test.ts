import { expect } from 'chai';
import {
  assertHeadersToSend,
  assertName,
  messageEnvelope,
  parseServerEnvelope,
  type OutgoingMessage,
} from '../../src/protocol/envelope.js';

const tooLong = 'x'.repeat(257);

describe('sender checks', () => {
  describe('assertName()', () => {
    it('accepts strings of 1–256 characters', () => {
      for (const name of ['a', 'x'.repeat(256), 'é😀'])
        expect(() => assertName(name, 'topic')).not.to.throw();
    });

    it('throws a TypeError naming what it checked for anything else', () => {
      for (const name of [undefined, null, '', tooLong, 1, {}, ['a']]) {
        expect(() => assertName(name, 'message type')).to.throw(
          TypeError,
          'message type must be a string of 1–256 characters',
        );
        expect(() => assertName(name, 'topic')).to.throw(TypeError, /^topic must be/);
      }
    });
  });

  describe('assertHeadersToSend()', () => {
    it('accepts no headers or an object', () => {
      for (const headers of [undefined, {}, { a: 1 }, Object.create(null) as object]) {
        expect(() => assertHeadersToSend(headers)).not.to.throw();
      }
    });

    it('throws a TypeError for null, arrays and primitives', () => {
      for (const headers of [null, [], ['a'], 'h', 1, true]) {
        expect(() => assertHeadersToSend(headers)).to.throw(TypeError, 'headers must be an object');
      }
    });
  });

  describe('messageEnvelope()', () => {
    it('builds a msg envelope without keys for absent values', () => {
      const bare = messageEnvelope({ type: 't', payload: undefined });
      expect(bare).to.deep.equal({ k: 'msg', type: 't' });
      expect(Object.keys(bare)).to.deep.equal(['k', 'type']);
      expect(Object.keys(messageEnvelope({ type: 't', payload: 0 }))).to.deep.equal([
        'k',
        'type',
        'payload',
      ]);
      expect(messageEnvelope({ type: 't', payload: null })).to.deep.equal({
        k: 'msg',
        type: 't',
        payload: null,
      });
    });

    it('adds headers and the sender’s id when given, keeping the payload by identity', () => {
      const payload = { text: 'hi' };
      const headers = { trace: 'abc' };
      const envelope = messageEnvelope({ type: 'said', payload, headers }, 'c-1');
      expect(envelope).to.deep.equal({ k: 'msg', type: 'said', payload, headers, from: 'c-1' });
      expect(envelope.payload).to.equal(payload);
      expect(envelope.headers).to.equal(headers);
      expect(parseServerEnvelope(envelope)).to.deep.equal(envelope);
    });

    it('copies nothing else of the message', () => {
      const message = { type: 't', payload: 1, extra: true, k: 'join' } as OutgoingMessage;
      expect(messageEnvelope(message)).to.deep.equal({ k: 'msg', type: 't', payload: 1 });
    });

    it('throws a TypeError for a message that is not an object, a bad type or bad headers', () => {
      for (const message of [null, undefined, 'msg', 1]) {
        expect(() => messageEnvelope(message as unknown as OutgoingMessage)).to.throw(
          TypeError,
          'message must be an object',
        );
      }
      expect(() => messageEnvelope({ type: '' })).to.throw(TypeError, 'message type must be');
      expect(() => messageEnvelope({ type: tooLong })).to.throw(TypeError, 'message type must be');
      expect(() =>
        messageEnvelope({ type: 't', headers: [] as unknown as Record<string, unknown> }),
      ).to.throw(TypeError, 'headers must be an object');
    });
  });
});
