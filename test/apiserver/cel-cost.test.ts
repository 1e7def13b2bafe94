// The generated admission policy against Kubernetes' CEL cost limits, on a real
// kube-apiserver: installed for real, then sent stress objects that the lint
// passes, at the size bounds of src/policy/cost.ts, past them, and up to the
// 3 MiB a request may hold. Nothing the lint passes may be refused (a
// cancelled evaluation is a Deny under failurePolicy Fail); within the bounds
// the policy gives the lint's verdict, past them it admits and leaves the rule
// to the lint, as the coverage table says.
import { describeWithApiServer } from './server';
import { admit, asAdmitted, AXES, enforcingPolicyObjects, installPolicy, lintVerdict, maxFittingN, StressAxis, typicalPod } from '../../scripts/bench/cel-stress';
import { policyVerdict } from '../policy/harness';

const POLICIES = enforcingPolicyObjects();

/**
 * The largest n whose one-mistake variant the policy still reports, evaluated
 * here with @bufbuild/cel on the pod as the policy sees it (with the API-access
 * volume the ServiceAccount admission plugin adds), by bisection; undefined
 * when it reports it up to `hi`.
 */
function checkedUpTo(axis: StressAxis, hi: number): number | undefined {
  const reported = (n: number) => {
    const v = axis.violate(n);
    const r = policyVerdict(POLICIES, { object: asAdmitted(v.object), namespace: 'default' });
    return [...r.denied, ...r.warned].includes(v.ruleId);
  };
  if (!reported(1)) throw new Error(`${axis.name}: the policy does not report the mistake even at n=1`);
  if (reported(hi)) return undefined;
  let lo = 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reported(mid)) lo = mid; else hi = mid;
  }
  return lo;
}

describeWithApiServer('the generated policy within the CEL cost limits of a real API server', (server) => {
  beforeAll(() => installPolicy(server(), POLICIES), 120_000);

  /** The largest n whose one-mistake variant the real API server reports (denied, or warned), by bisection. */
  const serverCheckedUpTo = (axis: StressAxis, hi: number): number => {
    const reported = (n: number) => {
      const v = axis.violate(n);
      const o = admit(server(), v.object);
      return o.kind === 'denied' ? o.ruleIds.includes(v.ruleId) : o.kind === 'admitted' && o.warnings.join('\n').includes(`${v.ruleId}: `);
    };
    if (reported(hi)) return hi;
    if (!reported(1)) return 0;
    let lo = 1;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (reported(mid)) lo = mid; else hi = mid;
    }
    return lo;
  };

  test('the API server takes the policy (no static cost refusal), and a typical pod is admitted with no warning', () => {
    const names = server().kubectl(['get', 'validatingadmissionpolicies', '-o', 'name']).stdout;
    expect(names).toContain('bound-tokens-errors');
    expect(names).toContain('bound-tokens-warnings');
    expect(lintVerdict(typicalPod())).toEqual([]);
    expect(admit(server(), typicalPod())).toEqual({ kind: 'admitted', warnings: [] });
  });

  // One mistake in each axis, the size up to which the policy still reports it, and beyond.
  const cases = AXES.map(axis => [axis.name, axis] as const);
  test.each(cases)('%s: the lint\'s verdict up to the bound, admitted (lint only) past it, never cancelled up to 3 MiB', (_name, axis) => {
    const fitting = maxFittingN(axis);
    const expected = checkedUpTo(axis, Math.min(fitting, 4096));
    // The bound on the real API server, by bisection with the one-mistake variant. It is the truth
    // the rest of the test uses; the bound the policy's own CEL gives here (@bufbuild/cel, on the pod
    // with the API-access volume added) is printed beside it where they differ. The test server is
    // OpenShift's kube-apiserver fork, whose API-access volume has one more source with items
    // (openshift-service-ca.crt) than upstream's, which the harness builds: the projected-sources
    // axis keeps the pod within PAIR_BOUNDS.itemSources with either.
    const checked = expected === undefined ? undefined : serverCheckedUpTo(axis, Math.min(fitting, 2 * expected));
    if (expected !== undefined && checked !== expected) {
      // eslint-disable-next-line no-console
      console.log(`${axis.name}: the API server checks up to n=${checked}, the policy's CEL evaluated here up to n=${expected}`);
    }
    const bound = checked ?? Math.min(fitting, 4096);
    const sizes = [...new Set([bound, Math.min(bound + 1, fitting), fitting])];
    for (const n of sizes) {
      const clean = axis.make(n);
      expect({ n, lint: lintVerdict(clean) }).toEqual({ n, lint: [] });
      const o = admit(server(), clean);
      // Never cancelled, never denied: what the lint passes, the API server admits.
      expect({ n, outcome: o.kind, message: o.kind === 'admitted' ? '' : o.message.slice(0, 300) }).toEqual({ n, outcome: 'admitted', message: '' });
    }
    // Up to the bound the policy reports the mistake as the lint does (a Deny, or a warning) ...
    const v = axis.violate(bound);
    const lint = lintVerdict(v.object);
    expect(lint.some(f => f.startsWith(`${v.ruleId}/`))).toBe(true);
    const at = admit(server(), v.object);
    if (lint.includes(`${v.ruleId}/error`)) {
      expect(at.kind).toBe('denied');
      if (at.kind === 'denied') expect(at.ruleIds).toEqual([v.ruleId]);
    } else {
      expect(at.kind).toBe('admitted');
      if (at.kind === 'admitted') expect(at.warnings.join('\n')).toContain(`${v.ruleId}: `);
    }
    // ... and past it (when the object still fits) it admits, leaving the rule to the lint.
    if (checked !== undefined && checked < fitting) {
      const past = admit(server(), axis.violate(bound + 1).object);
      expect(past.kind).toBe('admitted');
      if (past.kind === 'admitted') expect(past.warnings.join('\n')).not.toContain(`${v.ruleId}: `);
    }
  }, 600_000);
});
