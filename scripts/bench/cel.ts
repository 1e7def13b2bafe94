// The CEL cost benchmark (issue 16): the generated admission policy on a real
// kube-apiserver (../shared/tools/apiserver), against Kubernetes' cost limits
// (1,000,000 units per expression, 10,000,000 per evaluation of a policy).
//
// For each stress axis (scripts/bench/cel-stress.ts), it prints the largest
// size admitted with the size bounds lifted (where the expression itself would
// break, found by bisection) and whether the generated policy admits the
// largest object that fits in a request (3 MiB); then the cost of a typical
// pod, measured with a probe policy (see measurePolicyCost), as a share of
// the limits. Without the API server it prints one line and skips. `--quick`
// installs the policy and sends the typical pod and one stress object only.
import { admit, AXES, enforcingPolicyObjects, installPolicy, largestAdmitted, maxFittingN, measurePolicyCost, typicalPod, unguardedPolicyObjects } from './cel-stress';
import { apiServerUnavailable, startApiServer } from '../../test/apiserver/server';
import type { BenchSection } from '../bench';

const PER_EXPRESSION = 1_000_000;
const PER_EVALUATION = 10_000_000;

const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(2)}%`;

export const section: BenchSection = {
  name: 'cel',
  description: 'admission policy CEL cost on a real kube-apiserver: largest admitted stress sizes, typical pod cost',
  run: ({ quick, args }) => {
    const why = apiServerUnavailable();
    if (why !== undefined) {
      console.log(`skipped: the real API server cannot run here (${why})`);
      return;
    }
    const server = startApiServer();
    try {
      const policies = enforcingPolicyObjects();
      installPolicy(server, policies);
      const typical = admit(server, typicalPod());
      if (typical.kind !== 'admitted') throw new Error(`the typical pod was not admitted: ${JSON.stringify(typical)}`);
      if (quick) {
        const axis = AXES[0];
        const o = admit(server, axis.make(64));
        if (o.kind !== 'admitted') throw new Error(`${axis.name} n=64 was not admitted: ${JSON.stringify(o)}`);
        console.log('quick: the policy installs; the typical pod and a small stress object are admitted');
        return;
      }
      const only = args.axis;
      console.log('\nthe generated policy, at the largest object that fits in one request (3 MiB, or the cap where the API server\'s own checks time out):');
      for (const axis of AXES.filter(a => !only || a.name === only)) {
        const n = maxFittingN(axis);
        const t = Date.now();
        const o = admit(server, axis.make(n));
        console.log(`  ${axis.name.padEnd(18)} n=${String(n).padStart(7)} ${axis.unit}: ${o.kind}${o.kind === 'admitted' ? '' : ` (${o.message.slice(0, 200)})`} [${((Date.now() - t) / 1000).toFixed(1)} s]`);
      }

      console.log('\ntypical pod (scripts/bench/cel-stress.ts typicalPod), measured with a probe policy:');
      let total = 0;
      for (const p of policies.filter(o => o.kind === 'ValidatingAdmissionPolicy')) {
        const c = measurePolicyCost(server, p, typicalPod());
        const sum = c.variables + c.validations;
        total += sum;
        console.log(`  ${c.policy.padEnd(22)} variables ${c.variables}, validations and messages ${c.validations}: ${sum} units, `
          + `${pct(sum, PER_EVALUATION)} of the ${PER_EVALUATION.toLocaleString('en')} per evaluation`);
      }
      console.log(`  both policies: ${total} units (each policy has its own budget)`);

      if (args.unguarded !== 'false') {
        server.kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', '--all']);
        installPolicy(server, unguardedPolicyObjects());
        console.log('\nwith the size bounds lifted: the largest size admitted (bisection), i.e. where each expression would break:');
        for (const axis of AXES.filter(a => !only || a.name === only)) {
          const t = Date.now();
          const r = largestAdmitted(server, axis, Math.min(maxFittingN(axis), Number(args.upTo ?? 4096)));
          const where = r.cancelMessage ? /composited variable "([^"]+)"|expression '([^']{0,60})/.exec(r.cancelMessage) : undefined;
          console.log(`  ${axis.name.padEnd(18)} admitted up to n=${r.admitted}${r.cancelled ? `, cancelled at ${r.cancelled} (${where?.[1] ?? where?.[2] ?? '?'})` : ' (never cancelled)'}`
            + ` [${r.requests} requests, ${((Date.now() - t) / 1000).toFixed(0)} s]`);
        }
      }
      console.log(`\nlimits: ${PER_EXPRESSION.toLocaleString('en')} units per expression, ${PER_EVALUATION.toLocaleString('en')} per evaluation of a policy`);
    } finally {
      server.stop();
    }
  },
};
