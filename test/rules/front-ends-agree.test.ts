// Property tests: the validators against references written from
// ../shared/KUBERNETES-FACTS.md, and determinism of the synth.
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { BoundTokenPod, ProjectedTokenVolume } from '../../src';
import { labelFromId } from '../../src/private/internal';
import { checkLifetimeSeconds, checkTokenPath, checkVolumeName, isDns1123Label, refreshAfterSeconds } from '../../src/rules';
import { captureWarnings, chart, synth } from '../util';

// --- references, written from the facts file, independently of src/ ---

/** Facts 1: valid iff 600 <= L <= 2^32; a warning (not an error) above 24 h. */
function refLifetime(l: number): 'error' | 'warning' | 'ok' {
  if (l < 600 || l > 2 ** 32) return 'error';
  return l > 86400 ? 'warning' : 'ok';
}

/** Facts 1 (1.30 rules): non-empty, relative, no '..' segment, not starting with '..'. */
function refPathValid(p: string): boolean {
  if (p.length === 0) return false;
  if (p[0] === '/') return false;
  if (p.split('/').some(seg => seg === '..')) return false;
  if (p.slice(0, 2) === '..') return false;
  // what the kubelet can write (issue 12): not the volume's own directory, no NUL,
  // segments of at most 255 bytes, at most 4096 bytes in all
  if (p.split('/').every(seg => seg === '' || seg === '.')) return false;
  if (p.includes('\u0000')) return false;
  if (Buffer.from(p, 'utf8').length > 4096) return false;
  if (p.split('/').some(seg => Buffer.from(seg, 'utf8').length > 255)) return false;
  return true;
}

/** Facts 1: DNS-1123 label, checked character by character (no regex). */
function refLabel(s: string): boolean {
  if (s.length < 1 || s.length > 63) return false;
  const alnum = (ch: string) => (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
  for (const ch of s) if (!(alnum(ch) || ch === '-')) return false;
  return alnum(s[0]) && alnum(s[s.length - 1]);
}

/** Facts 3, in exact integer arithmetic. */
function refRefresh(l: number): number {
  const big = BigInt(l);
  const r = big - (big * 20n) / 100n;
  return Number(r < 86400n ? r : 86400n);
}

const pathChars = fc.constantFrom('a', 'b', '.', '/', '-', '_', 'x', '..');
const pathArb = fc.oneof(
  fc.array(pathChars, { maxLength: 8 }).map(a => a.join('')),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', '/', '..', '../x', 'a/../b', '..data', 'a/..', '...', 'a..b', 'token', 'a/b/c', './x', '.', './', 'a\u0000b', 'x'.repeat(256), 'é'.repeat(128), 'é'.repeat(127) + 'x'),
);
const labelArb = fc.oneof(
  fc.array(fc.constantFrom('a', 'z', '0', '9', '-', 'A', '_', '.'), { maxLength: 70 }).map(a => a.join('')),
  fc.string({ maxLength: 70 }),
  fc.constantFrom('a', '-a', 'a-', 'a--b', 'a'.repeat(63), 'a'.repeat(64), '0', 'vault-token'),
);

describe('property tests against references from the facts file', () => {
  test('lifetimes: error, warning or ok exactly as the facts say', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -10, max: 200000 }), fc.constantFrom(599, 600, 86400, 86401, 2 ** 32, 2 ** 32 + 1)), l => {
      const f = checkLifetimeSeconds(l, '', 'expiration');
      const got = f.length === 0 ? 'ok' : f[0].level;
      expect(got).toBe(refLifetime(l));
    }), { numRuns: 2000 });
  });

  test('token paths: invalid exactly when the reference says so', () => {
    fc.assert(fc.property(pathArb, p => {
      expect(checkTokenPath(p, '', 'path').length === 0).toBe(refPathValid(p));
    }), { numRuns: 3000 });
  });

  test('volume names: DNS-1123 labels exactly', () => {
    fc.assert(fc.property(labelArb, s => {
      expect(isDns1123Label(s)).toBe(refLabel(s));
      expect(checkVolumeName(s, '', 'name').length === 0).toBe(refLabel(s));
    }), { numRuns: 3000 });
  });

  test('refresh time: min(L - floor(L*20/100), 86400) for every lifetime', () => {
    fc.assert(fc.property(fc.integer({ min: 600, max: 2 ** 32 }), l => {
      expect(refreshAfterSeconds(l)).toBe(refRefresh(l));
      expect(ProjectedTokenVolume.refreshAfter(Duration.seconds(l)).toSeconds()).toBe(refRefresh(l));
    }), { numRuns: 2000 });
  });

  test('ids become DNS-1123 labels or nothing, never a truncated name', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), id => {
      const label = labelFromId(id);
      if (label !== undefined) {
        expect(refLabel(label)).toBe(true);
      }
    }), { numRuns: 2000 });
    fc.assert(fc.property(labelArb.filter(refLabel), l => {
      // an id that already is a label of letters, digits and single dashes stays as it is
      fc.pre(!l.includes('--') && !l.startsWith('-'));
      expect(labelFromId(l)).toBe(l);
    }));
  });

  test('fractional lifetimes round to the millisecond before deciding they are not whole', () => {
    fc.assert(fc.property(fc.integer({ min: 600, max: 10 ** 7 }), fc.constantFrom(1.1, 1.2, 0.7, 3.3), (s, k) => {
      // a lifetime built from float arithmetic that is whole seconds once rounded to the millisecond
      const d = Duration.millis(Math.round(s * k) * 1000 + 1e-7);
      expect(ProjectedTokenVolume.refreshAfter(d).toSeconds()).toBe(refreshAfterSeconds(Math.round(s * k)));
    }), { numRuns: 500 });
  });

  test('the synth is deterministic: same input, same YAML', () => {
    fc.assert(fc.property(
      fc.array(fc.record({
        path: fc.constantFrom('a', 'b', 'c', 'vault-token'),
        audience: fc.option(fc.constantFrom('vault', 'sts.amazonaws.com', 'istio-ca'), { nil: undefined }),
        seconds: fc.integer({ min: 600, max: 86400 }),
      }), { maxLength: 3 }),
      tokens => {
        const make = () => {
          const c = chart();
          const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'sa' } });
          const unique = tokens.filter((t, i) => tokens.findIndex(u => u.path === t.path) === i);
          new BoundTokenPod(c, 'Pod', {
            serviceAccount: sa,
            tokens: unique.map(t => ({ path: t.path, audience: t.audience, expiration: Duration.seconds(t.seconds) })),
            containers: [{ image: 'busybox:1.36' }],
          });
          let out = '';
          captureWarnings(() => { out = JSON.stringify(synth(c)); });
          return out;
        };
        expect(make()).toBe(make());
      },
    ), { numRuns: 50 });
  });
});
