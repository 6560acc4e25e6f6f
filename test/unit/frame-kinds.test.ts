import { expect } from 'chai';
import { CompactKinds } from '../../src/index.js';
import {
  FRAME_KINDS,
  kindNamed,
  kindNumbered,
  mayBeSentBy,
  MSG_KIND,
} from '../../src/protocol/kinds.js';

describe('frame kinds table', () => {
  it('lists the thirteen kinds of protocol v1 with their compact numbers, in order', () => {
    expect(FRAME_KINDS.map((s) => [s.k, s.id])).to.deep.equal([
      ['msg', 0],
      ['join', 1],
      ['leave', 2],
      ['welcome', 3],
      ['ack', 4],
      ['nack', 5],
      ['error', 6],
      ['req', 7],
      ['cancel', 8],
      ['auth', 9],
      ['ping', 10],
      ['pong', 11],
      ['got', 12],
    ]);
    expect(MSG_KIND.k).to.equal('msg');
  });

  it('orders every kind’s fields as the compact form writes them', () => {
    expect(
      Object.fromEntries(FRAME_KINDS.map((s) => [s.k, s.fields.map((f) => f.name)])),
    ).to.deep.equal({
      msg: ['type', 'headers', 'from', 'payload'],
      join: ['id', 'topic'],
      leave: ['id', 'topic'],
      welcome: ['v', 'id', 'user', 'session', 'resumed', 'received', 'reason'],
      ack: ['id', 'result'],
      nack: ['id', 'error'],
      error: ['error'],
      req: ['id', 'name', 'headers', 'to', 'from', 'payload'],
      cancel: ['id'],
      auth: ['id', 'credentials'],
      ping: [],
      pong: [],
      got: ['n'],
    });
  });

  it('says who sends each kind and each one-sided field', () => {
    const senders = Object.fromEntries(FRAME_KINDS.map((s) => [s.k, s.sentBy]));
    expect(senders).to.deep.equal({
      msg: 'both',
      join: 'client',
      leave: 'client',
      welcome: 'server',
      ack: 'both',
      nack: 'both',
      error: 'server',
      req: 'both',
      cancel: 'both',
      auth: 'client',
      ping: 'both',
      pong: 'both',
      got: 'both',
    });
    const oneSided = FRAME_KINDS.flatMap((s) =>
      s.fields.filter((f) => f.sentBy !== undefined).map((f) => `${s.k}.${f.name}:${f.sentBy}`),
    );
    expect(oneSided).to.deep.equal(['msg.from:server', 'req.to:client', 'req.from:server']);
    const req = kindNamed('req');
    expect(req && mayBeSentBy(req, 'client') && mayBeSentBy(req, 'server')).to.equal(true);
    const join = kindNamed('join');
    expect(join && mayBeSentBy(join, 'server')).to.equal(false);
  });

  it('marks join, leave, req and auth as requests (their id is the sender’s)', () => {
    expect(FRAME_KINDS.filter((s) => s.request).map((s) => s.k)).to.deep.equal([
      'join',
      'leave',
      'req',
      'auth',
    ]);
  });

  it('keeps what the compact form relies on: required fields first, nullable fields last', () => {
    for (const spec of FRAME_KINDS) {
      const required = spec.fields.map((f) => f.required);
      expect(
        required.indexOf(false) === -1 || !required.slice(required.indexOf(false)).includes(true),
        spec.k,
      ).to.equal(true);
      spec.fields.forEach((f, i) => {
        if (f.nullable) expect(i, `${spec.k}.${f.name}`).to.equal(spec.fields.length - 1);
      });
      expect(spec.minLength).to.equal(1 + required.filter(Boolean).length);
      expect(spec.maxLength).to.equal(1 + spec.fields.length);
    }
  });

  it('has unique names and numbers, found by Map lookups only', () => {
    expect(new Set(FRAME_KINDS.map((s) => s.k)).size).to.equal(FRAME_KINDS.length);
    expect(new Set(FRAME_KINDS.map((s) => s.id)).size).to.equal(FRAME_KINDS.length);
    for (const spec of FRAME_KINDS) {
      expect(kindNamed(spec.k)).to.equal(spec);
      expect(kindNumbered(spec.id)).to.equal(spec);
    }
    for (const k of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'MSG', '0', 0]) {
      expect(kindNamed(k), String(k)).to.equal(undefined);
    }
    for (const id of ['0', -1, 0.5, 13, Number.NaN, null, 'msg', 'length']) {
      expect(kindNumbered(id), String(id)).to.equal(undefined);
    }
  });

  it('is frozen, and CompactKinds is read from it', () => {
    expect(Object.isFrozen(FRAME_KINDS)).to.equal(true);
    for (const spec of FRAME_KINDS) {
      expect(Object.isFrozen(spec)).to.equal(true);
      expect(Object.isFrozen(spec.fields)).to.equal(true);
    }
    expect({ ...CompactKinds }).to.deep.equal({
      MSG: 0,
      JOIN: 1,
      LEAVE: 2,
      WELCOME: 3,
      ACK: 4,
      NACK: 5,
      ERROR: 6,
      REQ: 7,
      CANCEL: 8,
      AUTH: 9,
      PING: 10,
      PONG: 11,
      GOT: 12,
    });
    expect(Object.isFrozen(CompactKinds)).to.equal(true);
  });
});
