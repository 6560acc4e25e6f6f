import { expect } from 'chai';
import { ErrorCodes, isErrorCode, PlugSocketError, type ErrorCode } from '../../src/index.js';

const ALL_CODES: ErrorCode[] = [
  'CONNECTION_FAILED',
  'AUTHENTICATION_FAILED',
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'LIMIT_EXCEEDED',
  'RATE_LIMITED',
  'TIMEOUT',
  'HANDLER_NOT_FOUND',
  'ABORTED',
  'TOO_MANY_REQUESTS',
  'TARGET_OFFLINE',
  'PAYLOAD_TOO_LARGE',
  'INVALID_MESSAGE',
  'NOT_CONNECTED',
  'QUEUE_FULL',
  'INVALID_STATE',
  'SLOW_CONSUMER',
  'SERVER_ERROR',
];

/** What a second copy of the package would produce: a plain object carrying the shared brand. */
function foreignError(code: string): Error {
  const error = new Error('from another copy');
  Object.defineProperty(error, Symbol.for('plugsocket:error'), { value: true });
  Object.assign(error, { code });
  return error;
}

describe('PlugSocketError', () => {
  describe('ErrorCodes', () => {
    it('maps every stable code to itself', () => {
      for (const code of ALL_CODES) expect(ErrorCodes[code]).to.equal(code);
      expect(Object.keys(ErrorCodes)).to.have.members(ALL_CODES);
    });

    it('is recognised by isErrorCode, and nothing else is', () => {
      for (const code of ALL_CODES) expect(isErrorCode(code), code).to.equal(true);
      for (const other of ['', 'nope', 'timeout', 42, undefined, null, {}])
        expect(isErrorCode(other)).to.equal(false);
    });
  });

  describe('constructor', () => {
    it('is an Error with name, code, message and cause', () => {
      const cause = new Error('root');
      const error = new PlugSocketError('TIMEOUT', 'too slow', { cause });
      expect(error).to.be.instanceOf(Error);
      expect(error.name).to.equal('PlugSocketError');
      expect(error.code).to.equal('TIMEOUT');
      expect(error.message).to.equal('too slow');
      expect(error.cause).to.equal(cause);
    });

    it('has no cause property when none is given', () => {
      expect(
        Object.prototype.hasOwnProperty.call(new PlugSocketError('TIMEOUT', 'x'), 'cause'),
      ).to.equal(false);
    });

    it('carries the brand as a non-enumerable own symbol', () => {
      const error = new PlugSocketError('TIMEOUT', 'x');
      expect(Object.getOwnPropertySymbols(error)).to.include(Symbol.for('plugsocket:error'));
      expect(
        Object.prototype.propertyIsEnumerable.call(error, Symbol.for('plugsocket:error')),
      ).to.equal(false);
    });
  });

  describe('.is()', () => {
    it('is true for a plugsocket error without a code argument', () => {
      expect(PlugSocketError.is(new PlugSocketError('TIMEOUT', 'x'))).to.equal(true);
    });

    it('compares the code when one is given', () => {
      const error = new PlugSocketError('TIMEOUT', 'x');
      expect(PlugSocketError.is(error, 'TIMEOUT')).to.equal(true);
      expect(PlugSocketError.is(error, 'SERVER_ERROR')).to.equal(false);
    });

    it('is false for plain errors, look-alikes without the brand, and non-objects', () => {
      const lookAlike = Object.assign(new Error('x'), { code: 'TIMEOUT', name: 'PlugSocketError' });
      for (const value of [
        new Error('x'),
        lookAlike,
        { code: 'TIMEOUT' },
        'TIMEOUT',
        null,
        undefined,
        0,
      ]) {
        expect(PlugSocketError.is(value)).to.equal(false);
        expect(PlugSocketError.is(value, 'TIMEOUT')).to.equal(false);
      }
    });

    it('recognises an error from a second copy of the package by its Symbol.for brand', () => {
      const other = foreignError('UNAUTHORIZED');
      expect(other).to.not.be.instanceOf(PlugSocketError);
      expect(PlugSocketError.is(other)).to.equal(true);
      expect(PlugSocketError.is(other, 'UNAUTHORIZED')).to.equal(true);
      expect(PlugSocketError.is(other, 'TIMEOUT')).to.equal(false);
    });

    it('does not accept a brand whose value is not true', () => {
      const fake = { code: 'TIMEOUT', [Symbol.for('plugsocket:error')]: 'yes' };
      expect(PlugSocketError.is(fake)).to.equal(false);
    });
  });

  describe('.from()', () => {
    it('passes a plugsocket error through unchanged', () => {
      const error = new PlugSocketError('TIMEOUT', 'x');
      expect(PlugSocketError.from(error)).to.equal(error);
      expect(PlugSocketError.from(error, 'CONNECTION_FAILED')).to.equal(error);
    });

    it('passes an error of another copy through unchanged', () => {
      const other = foreignError('UNAUTHORIZED');
      expect(PlugSocketError.from(other)).to.equal(other);
    });

    it('wraps an Error as SERVER_ERROR by default, keeping its message and the original as cause', () => {
      const original = new TypeError('boom');
      const wrapped = PlugSocketError.from(original);
      expect(wrapped).to.be.instanceOf(PlugSocketError);
      expect(wrapped.code).to.equal('SERVER_ERROR');
      expect(wrapped.message).to.equal('boom');
      expect(wrapped.cause).to.equal(original);
    });

    it('uses the fallback code given', () => {
      expect(PlugSocketError.from(new Error('x'), 'CONNECTION_FAILED').code).to.equal(
        'CONNECTION_FAILED',
      );
    });

    it('wraps non-errors, stringifying them', () => {
      const wrapped = PlugSocketError.from('plain string');
      expect(wrapped.code).to.equal('SERVER_ERROR');
      expect(wrapped.message).to.equal('plain string');
      expect(wrapped.cause).to.equal('plain string');
      expect(PlugSocketError.from(undefined).code).to.equal('SERVER_ERROR');
    });
  });

  describe('.fromWire()', () => {
    it('rebuilds a known code and its message', () => {
      const error = PlugSocketError.fromWire({ code: 'UNAUTHORIZED', message: 'no' });
      expect(error).to.be.instanceOf(PlugSocketError);
      expect(error.code).to.equal('UNAUTHORIZED');
      expect(error.message).to.equal('no');
    });

    it('turns an unknown code into SERVER_ERROR', () => {
      expect(PlugSocketError.fromWire({ code: 'WHATEVER', message: 'x' }).code).to.equal(
        'SERVER_ERROR',
      );
      expect(PlugSocketError.fromWire({ code: '', message: 'x' }).code).to.equal('SERVER_ERROR');
    });

    it('round-trips every code through toJSON', () => {
      for (const code of ALL_CODES) {
        const back = PlugSocketError.fromWire(new PlugSocketError(code, `m-${code}`).toJSON());
        expect(back.code).to.equal(code);
        expect(back.message).to.equal(`m-${code}`);
      }
    });
  });

  describe('#toJSON()', () => {
    it('carries code and message only, never the stack or cause', () => {
      const error = new PlugSocketError('TIMEOUT', 'slow', { cause: new Error('secret') });
      expect(error.toJSON()).to.deep.equal({ code: 'TIMEOUT', message: 'slow' });
      const text = JSON.stringify(error);
      expect(JSON.parse(text)).to.deep.equal({ code: 'TIMEOUT', message: 'slow' });
      expect(text).to.not.include('secret');
      expect(text).to.not.include('at ');
    });
  });
});
