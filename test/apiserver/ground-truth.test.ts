// Ground truth (issue 16, section 5): the real kube-apiserver 1.32 judges every
// example's output and every manifest fixture, and the rule catalogue, the lint
// and the generated admission policies must say what it says.
//
// 1. Server-side dry run, no policy installed: an object with a lint error whose
//    rule says "the API server rejects/refuses" it is refused; an object the
//    lint passes (no error) is accepted.
// 2. The generated policies installed for real (both bindings Warn+Audit, so
//    every failing validation shows as a warning naming its policy): the rule
//    ids each policy reports equal the lint's verdict (harness lintVerdict).
// 3. The error binding switched to Deny: an object the lint finds an enforced
//    error in is refused with that rule id in the message, any other one is
//    admitted with exactly the lint's warnings.
// 4. A token requested through the TokenRequest API (kubectl create token) for
//    every token the examples and a construct declare has the audience and the
//    lifetime written in the manifest.
//
// Data-driven: one test per object and pass. Where Kubernetes and the
// catalogue disagree and the fix belongs elsewhere, the disagreement is listed
// in KNOWN below with what the server answers, so the test fails the day it is
// fixed (and the entry must go).
import * as path from 'path';
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { exampleInputs, fixtureInputs, Input } from './inputs';
import { refusal, RestClient, RestResponse } from './rest';
import { APISERVER_DIR, describeWithApiServer } from './server';
import { BoundTokenPod, ProjectedTokenVolume } from '../../src';
import { buildPolicyObjects } from '../../src/policy/build';
import { allRules, checkObject, checkShape, MANIFEST_STYLE } from '../../src/rules';
import { lintVerdict, RESOURCES } from '../policy/harness';

const NAMESPACE = 'apps';
/** ServiceAccount inputs go here: NAMESPACE holds the accounts the pods need (the ServiceAccount admission plugin checks them). */
const ACCOUNTS_NAMESPACE = 'accounts';
/** The API audience of the test server (start.sh's default SA_ISSUER). */
const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
const CRD = path.resolve(APISERVER_DIR, '..', '..', 'data', 'authentications.config.openshift.io.crd.yaml');

/** Rules whose cause says the API server refuses the object (on 1.30+, which this server is). */
const REFUSED_BY_SERVER = new Set(allRules().filter(r => /the API server (rejects|refuses) it/.test(r.cause)).map(r => r.id));
/** Rules whose cause says the API server refuses only some of what they find (e.g. BT141: identical paths only). */
const PARTLY_REFUSED = new Set(allRules().filter(r => /the API server (rejects|refuses) only/.test(r.cause)).map(r => r.id));

/**
 * Where the real API server and the catalogue disagree, by input name, with
 * the phrase of the server's answer that shows it and why it is left here.
 * The tests assert the disagreement as recorded, so they fail the day it is
 * resolved, and the entry must go.
 */
const KNOWN: Record<string, { readonly pass: 'dry-run' | 'policy'; readonly phrase: string; readonly reason: string }> = {
  // podCertificate is a projected source of Kubernetes 1.34: a 1.32 API server
  // does not know it. With a kubectl client it refuses the field (strict
  // decoding: 'unknown field ...podCertificate'); a client without field
  // validation has it dropped, and the policy sees an empty source (BT134)
  // and no overlap. On 1.34+ the policy sees what the lint sees.
  'policy/pod-overlap-pod-certificate.yaml#0.0 Pod/pod-overlap-pod-certificate': {
    pass: 'policy', phrase: 'BT134', reason: 'podCertificate is unknown to Kubernetes 1.32 (1.34+ source); the server drops it',
  },
  // BT139 (the API token path, a rule new on main) warns on the Pod as the
  // API server admits it, not as the fixture has it: the ServiceAccount
  // admission plugin takes a volume named kube-api-access-* for its own and
  // (as it seems) mounts it at /var/run/secrets/kubernetes.io/serviceaccount
  // before the policy runs, so the Vault token does land at the API token
  // path. The unit harness and the lint see the fixture unmutated. Reported,
  // left to the helper who owns the API-token path rule.
  'policy/pod-volume-named-api-access.yaml#0.0 Pod/pod-volume-named-api-access': {
    pass: 'policy', phrase: 'BT139', reason: 'the ServiceAccount admission plugin mutates the pod before the policy sees it',
  },
  'policy/pod-pod-certificate-compliant.yaml#0.0 Pod/pod-pod-certificate-compliant': {
    pass: 'policy', phrase: 'BT134', reason: 'podCertificate is unknown to Kubernetes 1.32 (1.34+ source); the server drops it',
  },
};

/** Objects the API server refuses for reasons no rule of the library is about (the lint passes them, rightly). */
const NOT_THE_LIBRARYS: Record<string, { readonly lint: string[]; readonly phrase: string; readonly reason: string }> = {
  'policy/pod-duplicate-volume-name-no-token.yaml#0.0 Pod/dup-vol-plain': {
    lint: [],
    phrase: 'spec.volumes[2].name: Duplicate value: "data"',
    reason: 'duplicate names of volumes that hold no token: the rules check token volumes only (the fixture shows the policy leaves them alone)',
  },
  'manifests/kinds.yaml#2.0 StatefulSet/statefulset': {
    lint: ['BT101'],
    phrase: 'spec.selector: Required value',
    reason: 'a StatefulSet without a selector, written to show the lint finds the pod spec of every kind; its BT101 is real too',
  },
};

/** Kinds whose pod template the API server does not validate: the object is accepted, its pods are refused. */
const TEMPLATE_NOT_VALIDATED = new Set(['StatefulSet']);

const INPUTS: Input[] = [...exampleInputs(), ...fixtureInputs()];
const names = INPUTS.map(i => i.name);
if (new Set(names).size !== names.length) throw new Error('duplicate input names');

/** The object as sent: namespaced objects go to NAMESPACE (ServiceAccounts to ACCOUNTS_NAMESPACE). */
function prepared(obj: any, namespaced: boolean): { object: any; namespace: string } {
  const o = JSON.parse(JSON.stringify(obj));
  const namespace = o.kind === 'ServiceAccount' ? ACCOUNTS_NAMESPACE : NAMESPACE;
  if (namespaced) {
    o.metadata = { ...(o.metadata ?? {}), namespace };
  } else if (o.metadata) {
    delete o.metadata.namespace;
  }
  return { object: o, namespace };
}

/** A Pod made of a workload's pod template, as its controller would create it. */
function podOf(obj: any): any {
  const t = obj.kind === 'CronJob' ? obj.spec?.jobTemplate?.spec?.template : obj.kind === 'PodTemplate' ? obj.template : obj.spec?.template;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...(t?.metadata ?? {}), name: `${obj.metadata?.name ?? 'x'}-0`, namespace: NAMESPACE }, spec: t?.spec };
}

/** Service account names the pod specs of the inputs use. */
function serviceAccounts(): string[] {
  const out = new Set<string>(['tokens']);
  const visit = (v: any) => {
    if (Array.isArray(v)) {v.forEach(visit);} else if (v && typeof v === 'object') {
      for (const k of ['serviceAccountName', 'serviceAccount']) {
        if (typeof v[k] === 'string' && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v[k]) && v.containers) out.add(v[k]);
      }
      Object.values(v).forEach(visit);
    }
  };
  INPUTS.forEach(i => visit(i.object));
  return [...out].sort();
}

/** The lint's error rule ids for one object, as `cdk8s-bound-tokens lint` finds them (shape first, then the rules). */
function lintErrors(obj: any): string[] {
  const shape = checkShape(obj);
  const findings = shape.length > 0 ? shape : checkObject(obj, { style: MANIFEST_STYLE });
  return [...new Set(findings.filter(f => f.level === 'error').map(f => f.ruleId))].sort();
}

const POLICY_LINE = /Validation failed for ValidatingAdmissionPolicy '([^']+)' with binding '[^']+': (BT\d+):/;
const DENY_LINE = /ValidatingAdmissionPolicy '([^']+)' with binding '[^']+' denied request: (BT\d+):/g;

/** Rule ids per policy from the warnings of a response; evaluation errors separately. */
function policyWarnings(r: RestResponse): { denied: string[]; warned: string[]; broken: string[] } {
  const denied: string[] = [];
  const warned: string[] = [];
  const broken: string[] = [];
  for (const w of r.warnings) {
    const m = POLICY_LINE.exec(w);
    if (m) (m[1].endsWith('-errors') ? denied : warned).push(m[2]);
    else if (w.includes('ValidatingAdmissionPolicy')) broken.push(w);
  }
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return { denied: uniq(denied), warned: uniq(warned), broken };
}

function ok(r: RestResponse): boolean {
  return r.status >= 200 && r.status < 300;
}

/** Installs (or replaces) the policies and waits until the server enforces them as `probe` shows. */
async function install(rest: RestClient, objs: any[], probe: () => Promise<boolean>): Promise<void> {
  for (const o of objs) {
    const base = `/apis/admissionregistration.k8s.io/v1/${o.kind === 'ValidatingAdmissionPolicy' ? 'validatingadmissionpolicies' : 'validatingadmissionpolicybindings'}`;
    const existing = await rest.request('GET', `${base}/${o.metadata.name}`);
    const r = ok(existing)
      ? await rest.request('PUT', `${base}/${o.metadata.name}`, { ...o, metadata: { ...o.metadata, resourceVersion: existing.body.metadata.resourceVersion } })
      : await rest.request('POST', base, o);
    if (!ok(r)) throw new Error(`installing ${o.kind} ${o.metadata.name}: ${refusal(r)}`);
  }
  for (let i = 0; i < 100; i++) {
    if (await probe()) return;
    await new Promise(res => setTimeout(res, 200));
  }
  throw new Error('the policies did not take effect within 20 s');
}

/** The payload of a JWT. */
function jwtPayload(token: string): any {
  return JSON.parse(Buffer.from(token.trim().split('.')[1], 'base64url').toString('utf8'));
}

/** Every serviceAccountToken source of an object. */
function tokenSources(v: any, out: any[] = []): any[] {
  if (Array.isArray(v)) {v.forEach(x => tokenSources(x, out));} else if (v && typeof v === 'object') {
    if (v.serviceAccountToken && typeof v.serviceAccountToken === 'object') out.push(v.serviceAccountToken);
    Object.values(v).forEach(x => tokenSources(x, out));
  }
  return out;
}

describeWithApiServer('ground truth: the real API server, the catalogue, the lint and the policies agree', (server) => {
  let rest: RestClient;
  /** Inputs the policies match and the server accepted without a policy. */
  const admissible = new Map<string, { object: any; namespace: string }>();

  beforeAll(async () => {
    rest = new RestClient(server().kubeconfig);
    const crd = server().kubectl(['apply', '-f', CRD]);
    if (crd.status !== 0) throw new Error(`installing the Authentication CRD failed: ${crd.stderr}`);
    server().kubectl(['wait', '--for=condition=Established', 'crd/authentications.config.openshift.io', '--timeout=60s']);
    rest.forgetDiscovery();
    for (const ns of [NAMESPACE, ACCOUNTS_NAMESPACE]) {
      const r = await rest.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      if (!ok(r)) throw new Error(`namespace ${ns}: ${refusal(r)}`);
    }
    for (const sa of serviceAccounts()) {
      const r = await rest.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } }, NAMESPACE, false);
      if (!ok(r)) throw new Error(`service account ${sa}: ${refusal(r)}`);
    }
  }, 120_000);
  afterAll(() => rest?.close());

  describe('1. server-side dry run: refused where a rule says the API server refuses, accepted where the lint finds no error', () => {
    test.each(INPUTS.map(i => [i.name, i] as const))('%s', async (_name, input) => {
      const info = await rest.resourceOf(String(input.object.apiVersion), String(input.object.kind));
      if (!info) {
        // Argo Rollouts, Knative, DeploymentConfig...: the lint checks them, this server serves no such API.
        expect(String(input.object.apiVersion)).not.toMatch(/^(v1|apps\/v1|batch\/v1|config\.openshift\.io\/v1)$/);
        return;
      }
      const sent = prepared(input.object, info.namespaced);
      const r = await rest.create(sent.object, sent.namespace);
      const errors = lintErrors(input.object);
      const refusing = errors.filter(id => REFUSED_BY_SERVER.has(id));
      const said = { accepted: ok(r), refusal: refusal(r) };
      const known = KNOWN[input.name];
      const outside = NOT_THE_LIBRARYS[input.name];
      if (known?.pass === 'dry-run') {
        expect(said.refusal + r.warnings.join('\n')).toContain(known.phrase);
      } else if (outside) {
        expect(errors).toEqual(outside.lint);
        expect(said.accepted).toBe(false);
        expect(said.refusal).toContain(outside.phrase);
      } else if (refusing.length > 0 && TEMPLATE_NOT_VALIDATED.has(input.object.kind)) {
        // The object is accepted, and the pods its controller would create are refused.
        expect({ lint: errors, ...said }).toEqual({ lint: errors, accepted: true, refusal: '' });
        const pod = await rest.create(podOf(input.object), NAMESPACE);
        expect({ lint: errors, podAccepted: ok(pod) }).toEqual({ lint: errors, podAccepted: false });
      } else if (refusing.length > 0) {
        expect({ lint: errors, ...said }).toEqual({ lint: errors, accepted: false, refusal: expect.any(String) });
      } else if (errors.length === 0) {
        expect({ lint: errors, ...said }).toEqual({ lint: errors, accepted: true, refusal: '' });
      } else if (!errors.some(id => PARTLY_REFUSED.has(id))) {
        // Errors whose rules do not say the API server refuses: then it accepts the
        // object (else a rule's cause understates it, as BT113's did).
        expect({ lint: errors, ...said }).toEqual({ lint: errors, accepted: true, refusal: '' });
      }
      if (said.accepted && RESOURCES[input.object.kind] && input.object.kind !== 'ConfigMap') admissible.set(input.name, sent);
    });

    test('the inputs give the server real work', () => {
      expect(INPUTS.length).toBeGreaterThanOrEqual(150);
      expect(admissible.size).toBeGreaterThanOrEqual(60);
    });
  });

  describe('2. the policies installed (both bindings Warn+Audit): each policy reports the rule ids the lint reports', () => {
    beforeAll(async () => {
      const objs = buildPolicyObjects({ errorAction: 'warn', warningAction: 'warn' });
      const probe = INPUTS.find(i => i.name.startsWith('policy/pod-no-audience.yaml'))!;
      await install(rest, objs, async () => {
        const sent = admissible.get(probe.name)!;
        return policyWarnings(await rest.create(sent.object, sent.namespace)).warned.includes('BT120');
      });
    }, 60_000);

    test.each(INPUTS.map(i => [i.name, i] as const))('%s', async (name, input) => {
      const sent = admissible.get(name);
      if (!sent) return; // refused before admission (pass 1), or a kind the policies do not match
      const r = await rest.create(sent.object, sent.namespace);
      expect(ok(r)).toBe(true);
      const got = policyWarnings(r);
      const lint = lintVerdict(input.object);
      const known = KNOWN[name];
      if (known?.pass === 'policy') {
        expect(r.warnings.join('\n')).toContain(known.phrase);
        return;
      }
      expect(got).toEqual({ denied: lint.denied, warned: lint.warned, broken: [] });
    });
  });

  describe('3. the error binding on Deny: refused with the rule id where the lint finds an enforced error, admitted otherwise', () => {
    beforeAll(async () => {
      const objs = buildPolicyObjects({ errorAction: 'deny', warningAction: 'warn' });
      await install(rest, objs, async () => {
        const r = await rest.request('GET', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/bound-tokens-errors');
        if (!ok(r) || r.body.spec.validationActions[0] !== 'Deny') return false;
        // enforced once an object the lint denies is refused
        for (const [name, sent] of admissible) {
          const input = INPUTS.find(i => i.name === name)!;
          if (lintVerdict(input.object).denied.length > 0 && !KNOWN[name]) return !ok(await rest.create(sent.object, sent.namespace));
        }
        throw new Error('no admissible input breaks an error rule: the Deny pass would test nothing');
      });
    }, 60_000);

    test.each(INPUTS.map(i => [i.name, i] as const))('%s', async (name, input) => {
      const sent = admissible.get(name);
      if (!sent || KNOWN[name]?.pass === 'policy') return;
      const r = await rest.create(sent.object, sent.namespace);
      const lint = lintVerdict(input.object);
      if (lint.denied.length > 0) {
        const message = refusal(r);
        const ids = [...message.matchAll(DENY_LINE)].map(m => m[2]);
        expect({ status: r.status, policy: message.includes("ValidatingAdmissionPolicy 'bound-tokens-errors'") }).toEqual({ status: 422, policy: true });
        expect(ids.length).toBeGreaterThan(0);
        for (const id of ids) expect(lint.denied).toContain(id);
      } else {
        expect({ accepted: ok(r), refusal: refusal(r), ...policyWarnings(r) }).toEqual({ accepted: true, refusal: '', denied: [], warned: lint.warned, broken: [] });
      }
    });
  });

  describe('4. TokenRequest: a token requested for a declared token has the promised audience and lifetime', () => {
    const declared = new Map<string, { audience?: string; expirationSeconds?: number }>();
    for (const i of INPUTS.filter(x => x.name.startsWith('examples/'))) {
      for (const t of tokenSources(i.object)) {
        declared.set(`${t.audience ?? '(API audience)'} ${t.expirationSeconds ?? '(default 3600)'}`, { audience: t.audience, expirationSeconds: t.expirationSeconds });
      }
    }

    test('the examples declare tokens', () => {
      expect(declared.size).toBeGreaterThanOrEqual(4);
    });

    test.each([...declared.entries()])('kubectl create token for %s', (_key, t) => {
      const args = ['create', 'token', 'tokens', '-n', NAMESPACE];
      if (t.audience !== undefined) args.push('--audience', t.audience);
      if (t.expirationSeconds !== undefined) args.push('--duration', `${t.expirationSeconds}s`);
      const r = server().kubectl(args);
      expect(r.stderr).toBe('');
      const jwt = jwtPayload(r.stdout);
      expect({ aud: jwt.aud, lifetime: jwt.exp - jwt.iat }).toEqual({ aud: [t.audience ?? API_AUDIENCE], lifetime: t.expirationSeconds ?? 3600 });
    });

    test.each([
      ['vault', Duration.hours(2)],
      ['istio-ca', Duration.hours(1.1)],
      ['spire-server', Duration.minutes(10)],
      ['sts.amazonaws.com', Duration.hours(24)],
    ])('a token declared with audience %s and that lifetime: the synthesized pod is admitted and its token carries both', async (audience, expiration) => {
      const app = new App();
      const chart = new Chart(app, 'c');
      const vol = new ProjectedTokenVolume(chart, 'T', { tokens: [{ path: 'token', audience, expiration }] });
      const sa = new kplus.ServiceAccount(chart, 'SA', { metadata: { name: 'tokens' } });
      new BoundTokenPod(chart, 'Pod', { serviceAccount: sa, tokenVolume: vol, containers: [{ image: 'busybox:1.36', name: 'app' }] });
      const pod = app.charts[0].toJson().find((o: any) => o.kind === 'Pod');
      const created = await rest.create({ ...pod, metadata: { ...pod.metadata, namespace: NAMESPACE } }, NAMESPACE);
      expect(refusal(created)).toBe('');
      const t = tokenSources(pod)[0];
      const r = server().kubectl(['create', 'token', 'tokens', '-n', NAMESPACE, '--audience', t.audience, '--duration', `${t.expirationSeconds}s`]);
      expect(r.stderr).toBe('');
      const jwt = jwtPayload(r.stdout);
      const promised = Math.round(expiration.toSeconds({ integral: false }));
      expect({ aud: jwt.aud, lifetime: jwt.exp - jwt.iat }).toEqual({ aud: [audience], lifetime: promised });
    });
  });
});
