/** Property tests: parsing random junk throws nothing but PolicyLoadError, with a path and message per issue. */

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyLoadError, parsePolicyDocument, parsePolicyText } from '../../../src/policy/index.ts';
import type { Json, Obj } from './addresses.ts';
import { buildDoc, docArb } from './documents.ts';

describe('policy properties', () => {
  describe('e. parsing junk throws nothing but PolicyLoadError', () => {
    const onlyLoadErrors = (parse: () => unknown) => {
      try {
        parse();
      } catch (err) {
        if (!(err instanceof PolicyLoadError)) throw err;
        assert.ok(err.issues.length > 0);
        for (const issue of err.issues) {
          assert.equal(typeof issue.path, 'string');
          assert.ok(issue.path.length > 0);
          assert.equal(typeof issue.message, 'string');
          assert.ok(issue.message.length > 0);
        }
      }
    };

    it('anything at all', () => {
      const junk = fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
        withUnicodeString: true,
      });
      fc.assert(
        fc.property(junk, (value) => onlyLoadErrors(() => parsePolicyDocument(value))),
        { numRuns: 500 },
      );
      fc.assert(
        fc.property(
          fc.dictionary(fc.constantFrom('namedLocations', 'authenticationStrengths', 'policies'), junk),
          (v) => onlyLoadErrors(() => parsePolicyDocument(v)),
        ),
        { numRuns: 300 },
      );
    });

    const WRONG: Json[] = [
      null,
      0,
      -1,
      1.5,
      1e9,
      '',
      'x',
      '10.0.0.0/33',
      true,
      false,
      [],
      {},
      [1],
      [''],
      { a: 1 },
    ];
    const wrongValue = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...WRONG) },
      { weight: 1, arbitrary: fc.anything() as fc.Arbitrary<Json> },
      { weight: 1, arbitrary: fc.constant(undefined as unknown as Json) },
    );

    /** Every path to a value in the document (object keys and array indexes). */
    function paths(value: Json, at: (string | number)[] = []): (string | number)[][] {
      const out: (string | number)[][] = [at];
      if (Array.isArray(value)) for (const [i, v] of value.entries()) out.push(...paths(v, [...at, i]));
      else if (value !== null && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
      return out;
    }

    function replaceAt(doc: Json, path: (string | number)[], value: Json | 'DELETE'): Json {
      if (path.length === 0) return value === 'DELETE' ? null : value;
      const copy = structuredClone(doc) as Obj;
      let parent: Json = copy;
      for (const key of path.slice(0, -1)) parent = (parent as Obj)[key as string] as Json;
      const last = path[path.length - 1] as string;
      if (value === 'DELETE') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete (parent as Obj)[last];
      } else (parent as Obj)[last] = value;
      return copy;
    }

    it('a valid document with one field replaced by a wrong type, or removed', () => {
      let rejected = 0;
      fc.assert(
        fc.property(
          docArb,
          fc.nat(),
          fc.oneof(wrongValue, fc.constant('DELETE' as const)),
          (raw, pick, value) => {
            const input = buildDoc(raw) as Json;
            const all = paths(input);
            const mutated = replaceAt(input, all[pick % all.length] ?? [], value);
            try {
              parsePolicyDocument(mutated);
            } catch (err) {
              if (!(err instanceof PolicyLoadError)) throw err;
              rejected++;
            }
            onlyLoadErrors(() => parsePolicyDocument(mutated));
            onlyLoadErrors(() => parsePolicyText(JSON.stringify(mutated) ?? 'null', 'json'));
          },
        ),
        { numRuns: 300 },
      );
      assert.ok(rejected > 50, `most mutations should be rejected (${rejected})`);
    });

    it('random JSON and YAML text', () => {
      // the YAML parser reports unknown tags and directives through process.emitWarning: keep the output clean
      const emitWarning = process.emitWarning;
      process.emitWarning = () => {};
      try {
        fc.assert(
          fc.property(fc.string({ maxLength: 200 }), (text) => {
            onlyLoadErrors(() => parsePolicyText(text, 'json'));
            onlyLoadErrors(() => parsePolicyText(text, 'yaml'));
          }),
          { numRuns: 300 },
        );
        fc.assert(
          fc.property(fc.json(), (text) => {
            onlyLoadErrors(() => parsePolicyText(text, 'json'));
            onlyLoadErrors(() => parsePolicyText(text, 'yaml'));
          }),
          { numRuns: 300 },
        );
      } finally {
        process.emitWarning = emitWarning;
      }
    });
  });
});
