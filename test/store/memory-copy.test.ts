// The memory stores' copier (adapters/memory/copy.ts): what it gives back is equal to what
// structuredClone gives, shares nothing a caller could mutate, and keeps an own `__proto__` key
// a key (a record parsed from JSON can carry one) rather than changing the copy's prototype.
import assert from 'node:assert/strict';
import { copy } from '../../adapters/memory/copy.ts';

describe('memory store copier', () => {
  it('copies plain records deeply, equal to structuredClone', () => {
    const record = {
      id: 'm-1',
      label: 'Téléphone 📱',
      data: { sealedSecret: 'v1.k.abc', digits: 6, tokenSerial: null, list: [1, 'two', { three: [3] }] },
      lastUsedAt: null,
      missing: undefined,
      zero: -0,
    };
    const copied = copy(record);
    assert.deepStrictEqual(copied, structuredClone(record));
    assert.notEqual(copied, record);
    assert.notEqual(copied.data, record.data);
    assert.notEqual(copied.data.list, record.data.list);
    (copied.data.list[2] as { three: number[] }).three.push(4);
    copied.data.sealedSecret = 'mutated';
    assert.deepStrictEqual(record.data.list[2], { three: [3] });
    assert.equal(record.data.sealedSecret, 'v1.k.abc');
  });

  it('keeps an own __proto__ key as data: the copy is not polluted', () => {
    const parsed = JSON.parse('{"a":1,"__proto__":{"isAdmin":true}}') as Record<string, unknown>;
    const copied = copy(parsed);
    assert.equal(Object.getPrototypeOf(copied), Object.prototype);
    assert.equal((copied as { isAdmin?: boolean }).isAdmin, undefined);
    assert.deepStrictEqual(Object.keys(copied), ['a', '__proto__']);
    assert.deepStrictEqual(copied, structuredClone(parsed));
  });

  it('leaves what is not plain data to structuredClone (typed arrays, dates, cycles)', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const when = new Date(0);
    const copied = copy({ bytes, when });
    assert.ok(copied.bytes instanceof Uint8Array);
    assert.notEqual(copied.bytes, bytes);
    assert.deepStrictEqual([...copied.bytes], [1, 2, 3]);
    assert.ok(copied.when instanceof Date);
    assert.equal(copied.when.getTime(), 0);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    // Copied as far as the walk goes, then by structuredClone: a cycle all the way down, none of it shared.
    let node = copy(cyclic) as { self?: unknown };
    for (let i = 0; i < 100; i++) {
      assert.notEqual(node, cyclic);
      node = node.self as { self?: unknown };
    }
    assert.throws(() => copy({ f: () => 1 }));
  });
});
