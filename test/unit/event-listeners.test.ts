import { expect } from 'chai';
import sinon from 'sinon';
import { EventListeners } from '../../src/shared/event-listeners.js';

type Listener = (value: number) => void;
type AnyListener = (name: string, value: number) => void;

/** A fresh list with spies for its two reporting channels. */
function make(): {
  list: EventListeners<Listener, AnyListener>;
  onThrow: sinon.SinonSpy<[unknown, string | undefined], void>;
  onTooMany: sinon.SinonSpy<[string, number], void>;
} {
  const onThrow = sinon.spy((_error: unknown, _name: string | undefined) => undefined);
  const onTooMany = sinon.spy((_name: string, _count: number) => undefined);
  return {
    list: new EventListeners<Listener, AnyListener>(onThrow, onTooMany),
    onThrow,
    onTooMany,
  };
}

/** Emits `value` on `name`, with the catch-alls' arguments. */
function emit(list: EventListeners<Listener, AnyListener>, name: string, value: number): boolean {
  return list.emit(name, [value], [name, value]);
}

describe('EventListeners', () => {
  describe('#on()', () => {
    it('calls the listeners of the name, in registration order, with the arguments', () => {
      const { list } = make();
      const calls: string[] = [];
      list.on('a', (v) => calls.push(`first ${v}`));
      list.on('a', (v) => calls.push(`second ${v}`));
      list.on('b', (v) => calls.push(`b ${v}`));
      expect(emit(list, 'a', 1)).to.equal(true);
      expect(calls).to.deep.equal(['first 1', 'second 1']);
    });

    it('calls a listener registered twice twice', () => {
      const { list } = make();
      const fn = sinon.spy();
      list.on('a', fn);
      list.on('a', fn);
      emit(list, 'a', 1);
      expect(fn.callCount).to.equal(2);
      expect(list.count('a')).to.equal(2);
    });

    it('throws TypeError for a listener that is not a function or a name that is not a string', () => {
      const { list } = make();
      expect(() => list.on('a', 'nope' as never)).to.throw(TypeError);
      expect(() => list.on(5 as never, () => undefined)).to.throw(TypeError);
      expect(list.nameCount).to.equal(0);
    });
  });

  describe('#emit()', () => {
    it('returns false when neither a listener of the name nor a catch-all exists', () => {
      const { list } = make();
      list.on('other', () => undefined);
      expect(emit(list, 'a', 1)).to.equal(false);
    });

    it('returns true when only a catch-all is called', () => {
      const { list } = make();
      list.onAny(() => undefined);
      expect(emit(list, 'a', 1)).to.equal(true);
    });

    it('reports what a listener throws, with the name, and still calls the others', () => {
      const { list, onThrow } = make();
      const bug = new Error('listener bug');
      const after = sinon.spy();
      const anyAfter = sinon.spy();
      list.on('a', () => {
        throw bug;
      });
      list.on('a', after);
      list.onAny(() => {
        throw bug;
      });
      list.onAny(anyAfter);
      expect(emit(list, 'a', 7)).to.equal(true);
      expect(after.calledOnceWithExactly(7)).to.equal(true);
      expect(anyAfter.calledOnceWithExactly('a', 7)).to.equal(true);
      expect(onThrow.args).to.deep.equal([
        [bug, 'a'],
        [bug, 'a'],
      ]);
    });

    it('applies a listener added during an emit from the next emit on', () => {
      const { list } = make();
      const late = sinon.spy();
      list.once('a', () => list.on('a', late));
      emit(list, 'a', 1);
      expect(late.called).to.equal(false);
      emit(list, 'a', 2);
      expect(late.calledOnceWithExactly(2)).to.equal(true);
    });

    it('still calls, in the emit under way, a listener another one removed (as EventEmitter does)', () => {
      const { list } = make();
      const second = sinon.spy();
      list.on('a', () => list.off('a', second));
      list.on('a', second);
      emit(list, 'a', 1);
      expect(second.callCount).to.equal(1);
      emit(list, 'a', 2);
      expect(second.callCount).to.equal(1);
    });
  });

  describe('#once()', () => {
    it('calls the listener for the next emit only, then removes it', () => {
      const { list } = make();
      const fn = sinon.spy();
      list.once('a', fn);
      expect(list.count('a')).to.equal(1);
      emit(list, 'a', 1);
      emit(list, 'a', 2);
      expect(fn.args).to.deep.equal([[1]]);
      expect(list.count('a')).to.equal(0);
      expect(list.has('a')).to.equal(false);
    });

    it('removes the listener before calling it, so an emit from inside does not call it again', () => {
      const { list } = make();
      const fn = sinon.spy((v: number) => {
        if (v === 1) emit(list, 'a', 2);
      });
      list.once('a', fn);
      emit(list, 'a', 1);
      expect(fn.args).to.deep.equal([[1]]);
    });

    it('a once listener also registered with on() is removed alone: the persistent registration stays', () => {
      // Regression: firing the once registration removed the *last* registration of the function,
      // which was the persistent one; the once one then fired a second time, and nothing was left.
      const { list } = make();
      const fn = sinon.spy();
      list.once('a', fn);
      list.on('a', fn);
      emit(list, 'a', 1);
      expect(list.count('a'), 'the on() registration remains').to.equal(1);
      emit(list, 'a', 2);
      emit(list, 'a', 3);
      expect(fn.args).to.deep.equal([[1], [1], [2], [3]]);
      expect(list.count('a')).to.equal(1);
    });
  });

  describe('#prepend()', () => {
    it('adds a listener before the others, once or not', () => {
      const { list } = make();
      const calls: string[] = [];
      list.on('a', () => calls.push('on'));
      list.prepend('a', () => calls.push('prepended'), false);
      list.prepend('a', () => calls.push('prepended once'), true);
      emit(list, 'a', 1);
      emit(list, 'a', 2);
      expect(calls).to.deep.equal(['prepended once', 'prepended', 'on', 'prepended', 'on']);
    });

    it('a prepended once listener that is also registered with on() leaves the on() registration', () => {
      const { list } = make();
      const fn = sinon.spy();
      list.on('a', fn);
      list.prepend('a', fn, true);
      emit(list, 'a', 1);
      emit(list, 'a', 2);
      expect(fn.args).to.deep.equal([[1], [1], [2]]);
      expect(list.count('a')).to.equal(1);
    });
  });

  describe('#off()', () => {
    it('removes one registration of the listener, leaving the others of the name', () => {
      const { list } = make();
      const fn = sinon.spy();
      const other = sinon.spy();
      list.on('a', fn);
      list.on('a', other);
      list.on('a', fn);
      list.off('a', fn);
      expect(list.count('a')).to.equal(2);
      emit(list, 'a', 1);
      expect(fn.callCount).to.equal(1);
      expect(other.callCount).to.equal(1);
    });

    it('removes the most recent registration (as EventEmitter does)', () => {
      const { list } = make();
      const fn = (_v: number): void => undefined;
      const other = (_v: number): void => undefined;
      list.on('a', fn);
      list.on('a', other);
      list.on('a', fn);
      list.off('a', fn);
      expect(list.listeners('a')).to.deep.equal([fn, other]);
    });

    it('removes every listener of the name without a listener, and only of that name', () => {
      const { list } = make();
      list.on('a', () => undefined);
      list.on('a', () => undefined);
      list.on('b', () => undefined);
      list.off('a');
      expect(list.has('a')).to.equal(false);
      expect(list.names()).to.deep.equal(['b']);
    });

    it('does nothing for an unknown name or a listener that is not registered', () => {
      const { list } = make();
      list.on('a', () => undefined);
      list.off('zzz', () => undefined);
      list.off('a', () => undefined);
      expect(list.count('a')).to.equal(1);
    });

    it('removes a once listener before it fired', () => {
      const { list } = make();
      const fn = sinon.spy();
      list.once('a', fn);
      list.off('a', fn);
      emit(list, 'a', 1);
      expect(fn.called).to.equal(false);
    });
  });

  describe('#onAny() / #offAny()', () => {
    it('calls catch-alls for every name, after the listeners of the name, with the catch-all arguments', () => {
      const { list } = make();
      const calls: string[] = [];
      list.onAny((name, v) => calls.push(`any ${name} ${v}`));
      list.on('a', (v) => calls.push(`a ${v}`));
      emit(list, 'a', 1);
      emit(list, 'b', 2);
      expect(calls).to.deep.equal(['a 1', 'any a 1', 'any b 2']);
    });

    it('prepends a catch-all before the others', () => {
      const { list } = make();
      const calls: string[] = [];
      list.onAny(() => calls.push('first'));
      list.onAny(() => calls.push('prepended'), true);
      emit(list, 'a', 1);
      expect(calls).to.deep.equal(['prepended', 'first']);
    });

    it('offAny(fn) removes that catch-all; offAny() removes all of them', () => {
      const { list } = make();
      const a = sinon.spy();
      const b = sinon.spy();
      list.onAny(a);
      list.onAny(b);
      list.offAny(a);
      emit(list, 'x', 1);
      expect(a.called).to.equal(false);
      expect(b.callCount).to.equal(1);
      list.offAny();
      expect(list.hasAny).to.equal(false);
      expect(emit(list, 'x', 2)).to.equal(false);
      expect(b.callCount).to.equal(1);
    });

    it('does not count catch-alls as listeners of a name', () => {
      const { list } = make();
      list.onAny(() => undefined);
      expect(list.hasAny).to.equal(true);
      expect(list.has('a')).to.equal(false);
      expect(list.count('a')).to.equal(0);
      expect(list.nameCount).to.equal(0);
    });

    it('throws TypeError for a catch-all that is not a function', () => {
      const { list } = make();
      expect(() => list.onAny(null as never)).to.throw(TypeError);
      expect(list.hasAny).to.equal(false);
    });
  });

  describe('#clear()', () => {
    it('with a name removes that name only, keeping catch-alls', () => {
      const { list } = make();
      list.on('a', () => undefined);
      list.on('b', () => undefined);
      list.onAny(() => undefined);
      list.clear('a');
      expect(list.names()).to.deep.equal(['b']);
      expect(list.hasAny).to.equal(true);
    });

    it('without a name removes every listener, catch-alls included', () => {
      const { list } = make();
      const fn = sinon.spy();
      list.on('a', fn);
      list.once('b', fn);
      list.onAny(fn);
      list.clear();
      expect(list.nameCount).to.equal(0);
      expect(list.hasAny).to.equal(false);
      expect(emit(list, 'a', 1)).to.equal(false);
      expect(fn.called).to.equal(false);
    });
  });

  describe('inspection', () => {
    it('count(), has(), names(), nameCount and listeners() describe what is registered', () => {
      const { list } = make();
      const f = (_v: number): void => undefined;
      const g = (_v: number): void => undefined;
      list.on('a', f);
      list.prepend('a', g, false);
      list.once('b', f);
      expect(list.count('a')).to.equal(2);
      expect(list.count('none')).to.equal(0);
      expect(list.has('b')).to.equal(true);
      expect(list.names()).to.have.members(['a', 'b']);
      expect(list.nameCount).to.equal(2);
      expect(list.listeners('a')).to.deep.equal([g, f]);
      expect(list.listeners('none')).to.deep.equal([]);
    });

    it('listeners() returns a copy the caller may change freely', () => {
      const { list } = make();
      const f = sinon.spy();
      list.on('a', f);
      list.listeners('a').length = 0;
      emit(list, 'a', 1);
      expect(f.callCount).to.equal(1);
    });
  });

  describe('#max', () => {
    it('is 10 by default and tells onTooMany once per name, at the eleventh listener', () => {
      const { list, onTooMany } = make();
      expect(list.max).to.equal(10);
      for (let i = 0; i < 10; i++) list.on('a', () => undefined);
      expect(onTooMany.called).to.equal(false);
      list.on('a', () => undefined);
      expect(onTooMany.args).to.deep.equal([['a', 11]]);
      list.on('a', () => undefined);
      list.prepend('a', () => undefined, true);
      expect(onTooMany.callCount, 'told once per name').to.equal(1);
      for (let i = 0; i < 11; i++) list.once('b', () => undefined);
      expect(onTooMany.args[1]).to.deep.equal(['b', 11]);
    });

    it('counts each name on its own', () => {
      const { list, onTooMany } = make();
      list.max = 2;
      list.on('a', () => undefined);
      list.on('a', () => undefined);
      list.on('b', () => undefined);
      list.on('b', () => undefined);
      expect(onTooMany.called).to.equal(false);
    });

    it('0 means no limit', () => {
      const { list, onTooMany } = make();
      list.max = 0;
      for (let i = 0; i < 50; i++) list.on('a', () => undefined);
      expect(onTooMany.called).to.equal(false);
    });

    it('throws RangeError for a negative or fractional maximum and keeps the old one', () => {
      const { list } = make();
      list.max = 3;
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => (list.max = bad)).to.throw(RangeError);
      }
      expect(list.max).to.equal(3);
    });
  });
});
