import { expect } from 'chai';
import sinon from 'sinon';
import { tickNow } from '../../src/shared/tick-clock.js';

describe('tickNow', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
  });
  afterEach(() => clock.restore());

  it('reads the clock once per turn: the same value until the turn ends, then the new time', async () => {
    await Promise.resolve();
    const first = tickNow();
    expect(first).to.equal(1_000_000);
    clock.tick(50);
    expect(tickNow(), 'later in the same turn').to.equal(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(tickNow(), 'in the next turn').to.equal(1_000_050);
  });

  it('is fresh after each microtask checkpoint too', async () => {
    await Promise.resolve();
    const first = tickNow();
    clock.tick(10);
    await Promise.resolve();
    await Promise.resolve();
    expect(tickNow()).to.equal(first + 10);
  });
});
