// The model view reads an object's metadata without cdk8s's resolver when its
// values are plain JSON: the result must be exactly what cdk8s renders.
import { ApiObject, Lazy, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { metadataJson } from '../../src/private/plain-json';

const key = fc.string({ minLength: 1, maxLength: 12 });
const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const json: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  value: fc.oneof({ maxDepth: 3 }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
})).value;

function object(metadata: any): ApiObject {
  const chart = Testing.chart();
  return new ApiObject(chart, 'O', { apiVersion: 'v1', kind: 'ConfigMap', metadata });
}

/** The JSON text of a result, keys in order, or the error it throws. */
function outcome(f: () => unknown): string {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

describe('metadataJson', () => {
  test('property: equals cdk8s\'s own render of plain metadata', () => {
    fc.assert(fc.property(
      fc.option(key, { nil: undefined }), fc.option(key, { nil: undefined }),
      fc.dictionary(key, fc.string({ maxLength: 8 }), { maxKeys: 4 }), fc.dictionary(key, fc.string({ maxLength: 8 }), { maxKeys: 4 }),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }), fc.dictionary(key, json, { maxKeys: 3 }),
      (name, namespace, labels, annotations, finalizers, extra) => {
        const o = object({ ...extra, name, namespace, labels, annotations, finalizers });
        o.metadata.addAnnotation('added', 'later');
        expect(outcome(() => metadataJson(o.metadata))).toBe(outcome(() => o.metadata.toJson()));
      }), { numRuns: 300 });
  });

  test('a value resolved later goes through cdk8s\'s resolver', () => {
    const o = object({ name: 'x' });
    o.metadata.addAnnotation('lazy', Lazy.any({ produce: () => 'resolved' }) as unknown as string);
    expect(metadataJson(o.metadata)).toEqual({ name: 'x', annotations: { lazy: 'resolved' } });
  });
});
