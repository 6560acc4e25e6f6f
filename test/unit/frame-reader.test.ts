import { expect } from 'chai';
import sinon from 'sinon';
import {
  CompactCodec,
  JsonCodec,
  PlugSocketError,
  type AnyFrame,
  type Codec,
  type TransportCapabilities,
} from '../../src/index.js';
import { RefusedRequestError } from '../../src/protocol/envelope.js';
import {
  chooseCodec,
  createClientFrameReader,
  createFrameReader,
  createServerFrameReader,
  type FrameReaderOptions,
} from '../../src/protocol/frame-reader.js';
import { expectThrowsCode } from './support.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function capabilities(structured: boolean): TransportCapabilities {
  return Object.freeze({
    binary: true,
    ping: false,
    handshakeHeaders: false,
    handshakeQuery: false,
    handshakeAuth: false,
    remoteAddress: false,
    structured,
  });
}

function options(overrides: Partial<FrameReaderOptions> = {}): FrameReaderOptions {
  return { supports: capabilities(false), maxPayload: 1024, owner: 'Test', ...overrides };
}

/** What `fn` threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.fail('expected a throw');
}

/** A codec that records its calls and decodes as JsonCodec does. */
function spyCodec(structured = false): Codec & { decode: sinon.SinonSpy } {
  const json = new JsonCodec();
  return {
    name: 'spy',
    structured,
    encode: (value) => json.encode(value),
    decode: sinon.spy((frame: AnyFrame) => json.decode(frame)),
  };
}

describe('frame reader', () => {
  describe('codec choice', () => {
    it('defaults to CompactCodec bounded by maxPayload where the transport carries structured frames', () => {
      const reader = createServerFrameReader(
        options({ supports: capabilities(true), maxPayload: 30 }),
      );
      expect(reader.codec).to.be.instanceOf(CompactCodec);
      expect(reader.codec.decode(['t', 'x'.repeat(20)])).to.have.property('type', 't');
      expectThrowsCode(() => reader.codec.decode(['t', 'x'.repeat(30)]), 'PAYLOAD_TOO_LARGE');
    });

    it('defaults to JsonCodec elsewhere', () => {
      expect(createServerFrameReader(options()).codec).to.be.instanceOf(JsonCodec);
      expect(createClientFrameReader(options()).codec).to.be.instanceOf(JsonCodec);
    });

    it('keeps a given codec the transport can carry', () => {
      for (const [structured, codec] of [
        [true, new CompactCodec()],
        [true, new JsonCodec()],
        [false, new JsonCodec()],
        [false, spyCodec()],
      ] as const) {
        expect(
          createServerFrameReader(options({ supports: capabilities(structured), codec })).codec,
        ).to.equal(codec);
      }
    });

    it('refuses a structured codec on a transport without structured frames, naming the owner', () => {
      expect(() =>
        createServerFrameReader(options({ codec: new CompactCodec(), owner: 'SocketServer' })),
      ).to.throw(TypeError, /SocketServer.*compact-json.*supports\.structured is false/);
      expect(() => createClientFrameReader(options({ codec: spyCodec(true) }))).to.throw(
        TypeError,
        /"spy"/,
      );
    });

    it('refuses a maxPayload that is not a positive number with RangeError', () => {
      for (const maxPayload of [0, -1, Number.NaN, '10' as unknown as number]) {
        expect(() => createServerFrameReader(options({ maxPayload }))).to.throw(
          RangeError,
          /Test: maxPayload/,
        );
      }
      expect(() => createServerFrameReader(options({ maxPayload: Infinity }))).not.to.throw();
    });

    it('refuses an unknown side', () => {
      expect(() =>
        createFrameReader({ ...options(), side: 'both' as unknown as 'server' }),
      ).to.throw(TypeError, /side/);
    });

    it('chooseCodec() lets the codec bound structured frames only for the default CompactCodec', () => {
      expect(chooseCodec(capabilities(true), undefined, 'Test', 30).boundsStructured).to.equal(
        true,
      );
      expect(chooseCodec(capabilities(false), undefined, 'Test', 30).boundsStructured).to.equal(
        false,
      );
      const codec = new JsonCodec();
      expect(chooseCodec(capabilities(true), codec, 'Test', 30)).to.deep.equal({
        codec,
        boundsStructured: false,
      });
    });
  });

  describe('read() on a server', () => {
    const reader = createFrameReader({ ...options(), side: 'server' });
    const compact = createFrameReader({
      ...options({ supports: capabilities(true) }),
      side: 'server',
    });

    it('reads every kind a client sends, as text, binary and structured frames', () => {
      for (const envelope of [
        { k: 'msg', type: 'say', payload: { text: 'hi' } },
        { k: 'msg', type: 'say', headers: { h: 1 } },
        { k: 'join', id: 1, topic: 'lobby' },
        { k: 'leave', id: 2, topic: 'lobby' },
        { k: 'req', id: 3, name: 'sum', to: { user: 'u' }, payload: [1, 2] },
        { k: 'ack', id: 4, result: null },
        { k: 'nack', id: 5, error: { code: 'X', message: 'y' } },
        { k: 'cancel', id: 6 },
      ]) {
        const text = JSON.stringify(envelope);
        expect(reader.read(text)).to.deep.equal(envelope);
        expect(reader.read(utf8(text))).to.deep.equal(envelope);
        expect(compact.read(compact.codec.encode(envelope))).to.deep.equal(envelope);
        expect(compact.read(text)).to.deep.equal(envelope);
      }
    });

    it('refuses what only a server sends with INVALID_MESSAGE', () => {
      expectThrowsCode(() => reader.read('{"k":"welcome","v":1,"id":"c"}'), 'INVALID_MESSAGE');
      expectThrowsCode(() => reader.read('{"k":"msg","type":"t","from":"c-2"}'), 'INVALID_MESSAGE');
      expectThrowsCode(() => compact.read([3, 1, 'c']), 'INVALID_MESSAGE');
      expectThrowsCode(() => compact.read([0, 't', null, 'c-2']), 'INVALID_MESSAGE');
    });

    it('refuses undecodable and malformed frames with INVALID_MESSAGE', () => {
      expect(() => reader.read('{"k":'))
        .to.throw(PlugSocketError, 'frame is not valid JSON')
        .with.property('code', 'INVALID_MESSAGE');
      expectThrowsCode(() => reader.read(new Uint8Array([0x7b, 0xff, 0x7d])), 'INVALID_MESSAGE');
      expectThrowsCode(() => reader.read('{"__proto__":{"k":"msg"}}'), 'INVALID_MESSAGE');
      expectThrowsCode(() => reader.read('[1,2]'), 'INVALID_MESSAGE');
      expectThrowsCode(() => reader.read('{"k":"msg"}'), 'INVALID_MESSAGE');
      expectThrowsCode(() => compact.read(['x']), 'INVALID_MESSAGE');
      expectThrowsCode(() => compact.read([9]), 'INVALID_MESSAGE');
    });

    it('turns anything a custom codec throws into INVALID_MESSAGE, keeping it as the cause', () => {
      const failure = new TypeError('no');
      const codec: Codec = {
        name: 'broken',
        encode: String,
        decode: () => {
          throw failure;
        },
      };
      const error = thrown(() => createServerFrameReader(options({ codec })).read('x'));
      expect(PlugSocketError.is(error, 'INVALID_MESSAGE')).to.equal(true);
      expect((error as Error).cause).to.equal(failure);
    });
  });

  describe('read() on a client', () => {
    const reader = createClientFrameReader(options());
    const compact = createClientFrameReader(options({ supports: capabilities(true) }));

    it('reads every kind a server sends, as text and structured frames', () => {
      for (const envelope of [
        { k: 'msg', type: 'said', from: 'c-1', payload: 'hi' },
        { k: 'welcome', v: 1, id: 'c-1' },
        { k: 'ack', id: 1 },
        { k: 'nack', id: 2, error: { code: 'X', message: 'y' } },
        { k: 'error', error: { code: 'X', message: 'y' } },
        { k: 'req', id: 3, name: 'ping', from: 'c-2' },
        { k: 'cancel', id: 3 },
      ]) {
        expect(reader.read(JSON.stringify(envelope))).to.deep.equal(envelope);
        expect(compact.read(compact.codec.encode(envelope))).to.deep.equal(envelope);
      }
    });

    it('refuses what only a client sends with INVALID_MESSAGE', () => {
      expectThrowsCode(() => reader.read('{"k":"join","id":1,"topic":"t"}'), 'INVALID_MESSAGE');
      expectThrowsCode(
        () => reader.read('{"k":"req","id":1,"name":"n","to":"c"}'),
        'INVALID_MESSAGE',
      );
      expectThrowsCode(() => compact.read([2, 1, 't']), 'INVALID_MESSAGE');
    });
  });

  describe('maxPayload', () => {
    const limit = 100;
    const atLimit = JSON.stringify({ k: 'msg', type: 't', payload: 'é'.repeat(32) + 'a' }); // 100 bytes
    const overLimit = JSON.stringify({ k: 'msg', type: 't', payload: 'é'.repeat(32) + 'ab' });

    it('is measured in UTF-8 bytes (test premise)', () => {
      expect(Buffer.byteLength(atLimit)).to.equal(limit);
      expect(Buffer.byteLength(overLimit)).to.equal(limit + 1);
    });

    it('refuses a text or binary frame one byte over with PAYLOAD_TOO_LARGE, without decoding it', () => {
      const codec = spyCodec();
      const reader = createServerFrameReader(options({ codec, maxPayload: limit }));
      expect(reader.read(atLimit)).to.have.property('type', 't');
      expect(reader.read(utf8(atLimit))).to.have.property('type', 't');
      for (const frame of [overLimit, utf8(overLimit)]) {
        expect(() => reader.read(frame))
          .to.throw(PlugSocketError, `frame exceeds ${limit} bytes`)
          .with.property('code', 'PAYLOAD_TOO_LARGE');
      }
      expect(codec.decode.callCount).to.equal(2);
    });

    it('refuses a structured frame one byte over, measured by the default codec’s own walk', () => {
      const frame = ['t', 'x'.repeat(92)]; // ["t","x…"]: 100 bytes
      expect(Buffer.byteLength(JSON.stringify(frame))).to.equal(limit);
      const reader = createServerFrameReader(
        options({ supports: capabilities(true), maxPayload: limit }),
      );
      expect(reader.read(frame)).to.have.property('type', 't');
      expect(() => reader.read(['t', 'x'.repeat(93)]))
        .to.throw(PlugSocketError, `frame exceeds ${limit} bytes`)
        .with.property('code', 'PAYLOAD_TOO_LARGE');
    });

    it('measures structured frames itself for a codec that does not bound them', () => {
      const codec = spyCodec();
      const reader = createServerFrameReader(
        options({ supports: capabilities(true), codec, maxPayload: limit }),
      );
      expect(reader.read(['t', 'x'.repeat(92)])).to.have.property('type', 't');
      expectThrowsCode(() => reader.read(['t', 'x'.repeat(93)]), 'PAYLOAD_TOO_LARGE');
      expect(codec.decode.callCount).to.equal(1);
    });

    it('decodes each frame once', () => {
      const codec = spyCodec();
      const reader = createServerFrameReader(options({ codec }));
      reader.read('{"k":"msg","type":"t"}');
      expect(codec.decode.callCount).to.equal(1);
    });
  });

  describe('refused requests', () => {
    const server = createServerFrameReader(options({ maxPayload: 200 }));
    const structured = createServerFrameReader(
      options({ supports: capabilities(true), maxPayload: 200 }),
    );
    const structuredJson = createServerFrameReader(
      options({ supports: capabilities(true), codec: new JsonCodec(), maxPayload: 200 }),
    );
    const client = createClientFrameReader(options({ maxPayload: 200 }));

    /** Asserts `read` refuses with `code` and the request id `id`. */
    function expectRefusedRequest(read: () => unknown, code: string, id: number): void {
      const error = thrown(read);
      expect(error).to.be.instanceOf(RefusedRequestError);
      expect(error).to.include({ code, requestId: id });
    }

    it('carries the id of a malformed join, leave or req, so the server answers nack', () => {
      expectRefusedRequest(
        () => server.read('{"k":"join","id":1,"topic":""}'),
        'INVALID_MESSAGE',
        1,
      );
      expectRefusedRequest(() => server.read('{"k":"leave","id":2}'), 'INVALID_MESSAGE', 2);
      expectRefusedRequest(
        () => server.read('{"k":"req","id":3,"name":"n","from":"x"}'),
        'INVALID_MESSAGE',
        3,
      );
      expectRefusedRequest(() => structured.read([1, 4, 5]), 'INVALID_MESSAGE', 4);
      expectRefusedRequest(() => structured.read([1, 5, 'room', 'extra']), 'INVALID_MESSAGE', 5);
    });

    it('carries it when the codec refuses the frame: a prototype key, nesting too deep', () => {
      expectRefusedRequest(
        () => server.read('{"k":"req","id":6,"name":"n","payload":{"__proto__":1}}'),
        'INVALID_MESSAGE',
        6,
      );
      const deep = `{"k":"req","id":7,"name":"n","payload":${'['.repeat(150)}${']'.repeat(150)}}`;
      expectRefusedRequest(
        () => createServerFrameReader(options()).read(deep),
        'INVALID_MESSAGE',
        7,
      );
      expectRefusedRequest(
        () =>
          structured.read([
            7,
            8,
            'n',
            null,
            null,
            null,
            { a: [{ constructor: { prototype: 1 } }] },
          ]),
        'INVALID_MESSAGE',
        8,
      );
    });

    it('carries it for a structured request over maxPayload, whoever measures it', () => {
      const big = [7, 9, 'upload', null, null, null, 'x'.repeat(300)];
      expectRefusedRequest(() => structured.read(big), 'PAYLOAD_TOO_LARGE', 9);
      expectRefusedRequest(() => structuredJson.read(big), 'PAYLOAD_TOO_LARGE', 9);
    });

    it('carries none for an oversized text frame (it is not decoded), a bad id, or another kind', () => {
      for (const read of [
        () => server.read(`{"k":"join","id":1,"topic":"${'x'.repeat(300)}"}`),
        () => server.read('{"k":"join","id":-1,"topic":"t"}'),
        () => server.read('{"k":"msg","id":1,"type":""}'),
        () => server.read('{"k":"ack","id":1,"result":{"__proto__":1}}'),
      ]) {
        const error = thrown(read);
        expect(PlugSocketError.is(error)).to.equal(true);
        expect(error).to.not.be.instanceOf(RefusedRequestError);
      }
    });

    it('on a client: carries the id of a malformed req, not of a join (which a server never sends)', () => {
      expectRefusedRequest(
        () => client.read('{"k":"req","id":3,"name":"n","to":"c"}'),
        'INVALID_MESSAGE',
        3,
      );
      expectRefusedRequest(
        () => client.read('{"k":"req","id":4,"name":"n","payload":{"__proto__":1}}'),
        'INVALID_MESSAGE',
        4,
      );
      for (const frame of [
        '{"k":"join","id":1,"topic":"t"}',
        '{"k":"join","id":1,"x":{"__proto__":1}}',
      ]) {
        const error = thrown(() => client.read(frame));
        expect(PlugSocketError.is(error, 'INVALID_MESSAGE')).to.equal(true);
        expect(error).to.not.be.instanceOf(RefusedRequestError);
        expect(error).to.not.have.property('requestId');
      }
    });
  });
});
