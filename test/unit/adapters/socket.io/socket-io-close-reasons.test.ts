import { expect } from 'chai';
import { SOCKET_IO_DISCONNECT_CODES } from '../../../../adapters/socket.io/index.js';
import { closeInfoFor } from '../../../../adapters/socket.io/socket-io-close-reasons.js';

describe('Socket.IO disconnect reasons', () => {
  describe('SOCKET_IO_DISCONNECT_CODES', () => {
    it('maps every reason Socket.IO 4 reports, on either side, to an RFC 6455 code', () => {
      expect({ ...SOCKET_IO_DISCONNECT_CODES }).to.deep.equal({
        'client namespace disconnect': 1005,
        'server namespace disconnect': 1005,
        'io server disconnect': 1005,
        'io client disconnect': 1005,
        'server shutting down': 1001,
        'transport close': 1006,
        'transport error': 1006,
        'ping timeout': 1006,
        'forced close': 1006,
        'forced server close': 1006,
        'parse error': 1002,
      });
      expect(Object.isFrozen(SOCKET_IO_DISCONNECT_CODES)).to.be.true;
    });
  });

  describe('closeInfoFor()', () => {
    it('prefers the code and reason the peer announced, whatever Socket.IO says', () => {
      expect(closeInfoFor('transport close', { code: 4001, reason: 'bye' })).to.deep.equal({
        code: 4001,
        reason: 'bye',
      });
    });

    it('maps the Socket.IO reason and keeps it as the reason text when nothing was announced', () => {
      expect(closeInfoFor('ping timeout', undefined)).to.deep.equal({
        code: 1006,
        reason: 'ping timeout',
      });
      expect(closeInfoFor('server shutting down', undefined)).to.deep.equal({
        code: 1001,
        reason: 'server shutting down',
      });
    });

    it('reports 1006 for a reason it does not know, including inherited property names', () => {
      expect(closeInfoFor('something new', undefined).code).to.equal(1006);
      expect(closeInfoFor('toString', undefined).code).to.equal(1006);
    });
  });
});
