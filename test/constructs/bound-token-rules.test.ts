import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BoundTokenPod, BoundTokenRules, ProjectedTokenVolume, RuleLevel, RuleScope } from '../../src';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

function pod(c: any, id = 'Pod', tokens: any[] = [{ path: 't' }]) {
  const sa = new kplus.ServiceAccount(c, `${id}SA`, { metadata: { name: `${id.toLowerCase()}-sa` } });
  return new BoundTokenPod(c, id, { serviceAccount: sa, tokens, containers: [{ image: 'busybox:1.36' }] });
}

describe('BoundTokenRules', () => {
  test('the catalogue has unique, stable ids, a level, a cause and a fix for every rule', () => {
    const all = BoundTokenRules.all();
    expect(new Set(all.map(r => r.id)).size).toBe(all.length);
    for (const r of all) {
      expect(r.id).toMatch(/^BT\d{3}$/);
      expect([RuleLevel.ERROR, RuleLevel.WARNING, RuleLevel.NOTICE]).toContain(r.level);
      // notices are the lint's own (what it could not check), never the constructs' or the policy's
      if (r.level === RuleLevel.NOTICE) expect(r.scope).toBe(RuleScope.MANIFEST);
      expect([RuleScope.ALL, RuleScope.CONSTRUCT, RuleScope.MANIFEST]).toContain(r.scope);
      expect(r.cause.length).toBeGreaterThan(10);
      expect(r.fix.length).toBeGreaterThan(5);
    }
    expect(BoundTokenRules.find('BT101')).toMatchObject({ id: 'BT101', level: RuleLevel.ERROR });
  });

  test('fails when asked for a rule that does not exist', () => {
    expect(errorOf(() => BoundTokenRules.find('BT999x'))).toContain("'ruleId' names no rule of cdk8s-bound-tokens, got 'BT999x'");
  });

  test('an acknowledgement silences a warning for a construct and its children and is written as an annotation', () => {
    const c = chart();
    pod(c, 'Pod');
    BoundTokenRules.acknowledge(c, 'BT120', 'the Kubernetes API server is this token\'s consumer');
    const lines = captureWarnings(() => synth(c));
    expect(lines.join('\n')).not.toContain('BT120');
    const p = findKind(synth(c), 'Pod');
    expect(p.metadata.annotations).toEqual({ 'bound-tokens.io/acknowledge-BT120': 'the Kubernetes API server is this token\'s consumer' });
    expect(BoundTokenRules.acknowledgeAnnotation('BT120')).toBe('bound-tokens.io/acknowledge-BT120');
  });

  test('the acknowledgement is stable across synths (same YAML twice)', () => {
    const c = chart();
    pod(c, 'Pod');
    BoundTokenRules.acknowledge(c, 'BT120', 'reason');
    const first = JSON.stringify(synth(c));
    const second = JSON.stringify(synth(c));
    expect(second).toBe(first);
  });

  test('an acknowledgement covers only its scope', () => {
    const c = chart();
    const a = pod(c, 'A');
    pod(c, 'B');
    BoundTokenRules.acknowledge(a, 'BT120', 'reason');
    const text = captureWarnings(() => synth(c)).join('\n');
    expect(text).toContain('[test/B/TokenVolume] BT120');
    expect(text).not.toContain('[test/A/TokenVolume] BT120');
  });

  test('fails when an acknowledgement matches no warning', () => {
    const c = chart();
    pod(c, 'Pod', [{ path: 't', audience: 'vault' }]);
    BoundTokenRules.acknowledge(c, 'BT104', 'long-lived on purpose');
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("[test] BT104: the acknowledgement of BT104 ('long-lived on purpose') matches no warning");
  });

  test('fails when acknowledging an error', () => {
    const c = chart();
    const msg = errorOf(() => BoundTokenRules.acknowledge(c, 'BT101', 'I know'));
    expect(msg).toContain("[test] 'ruleId' BT101 is an error and errors cannot be acknowledged");
  });

  test('fails when acknowledging without a reason', () => {
    const c = chart();
    expect(errorOf(() => BoundTokenRules.acknowledge(c, 'BT120', ' '))).toContain("'reason' of the acknowledgement of BT120 must say why");
  });

  test('an acknowledgement written by hand in the pod\'s YAML is honoured for the pod\'s own warnings', () => {
    const c = chart();
    const sa = new kplus.ServiceAccount(c, 'SA');
    new BoundTokenPod(c, 'Pod', {
      metadata: { annotations: { 'bound-tokens.io/acknowledge-BT132': 'the app runs as root in this pod' } },
      serviceAccount: sa,
      tokenVolume: new ProjectedTokenVolume(c, 'V', { defaultMode: 0o440, tokens: [{ path: 't', audience: 'a' }] }),
      containers: [{ image: 'busybox:1.36' }],
    });
    expect(captureWarnings(() => synth(c)).join('\n')).not.toContain('BT132');
  });

  test('strict mode does not make acknowledged warnings errors', () => {
    const c = chart();
    pod(c, 'Pod');
    BoundTokenRules.strict(c);
    BoundTokenRules.acknowledge(c, 'BT120', 'reason');
    const objs = synth(c);
    expect(findKind(objs, 'Pod').metadata.annotations['bound-tokens.io/acknowledge-BT120']).toBe('reason');
  });

  describe('strict mode for a whole app: the context key, set in code', () => {
    test('app.node.setContext(STRICT_CONTEXT_KEY, true) before the first chart makes warnings errors', () => {
      expect(BoundTokenRules.STRICT_CONTEXT_KEY).toBe('cdk8s-bound-tokens:strict');
      const app = Testing.app();
      app.node.setContext(BoundTokenRules.STRICT_CONTEXT_KEY, true);
      const c = new Chart(app, 'test');
      pod(c, 'Pod');
      const msg = errorOf(() => synth(c));
      expect(msg).toContain('BT120');
      expect(msg).toContain('(a warning, made an error by strict mode)');
    });

    test('BoundTokenRules.strict(app) covers every chart of the app', () => {
      const app = Testing.app();
      const c = new Chart(app, 'test');
      pod(c, 'Pod');
      BoundTokenRules.strict(app);
      expect(errorOf(() => synth(c))).toContain('[test/Pod/TokenVolume] BT120');
    });

    test('a chart can turn it on for itself, before its first child', () => {
      const app = Testing.app();
      const strict = new Chart(app, 'strict');
      strict.node.setContext(BoundTokenRules.STRICT_CONTEXT_KEY, true);
      pod(strict, 'Pod');
      const lax = new Chart(app, 'lax');
      pod(lax, 'Pod');
      // cdk8s validates the whole app: the strict chart's warning is an error, the other chart's stays a warning
      let msg = '';
      const printed = captureWarnings(() => { msg = errorOf(() => synth(lax)); });
      expect(msg).toContain('[strict/Pod/TokenVolume] BT120');
      expect(msg).toContain('made an error by strict mode');
      expect(msg).not.toContain('[lax/');
      expect(printed.join('\n')).toContain('[lax/Pod/TokenVolume] BT120');
    });

    test('the context cannot be set once the app has a chart (constructs refuses), so set it first', () => {
      const app = Testing.app();
      new Chart(app, 'test');
      expect(() => app.node.setContext(BoundTokenRules.STRICT_CONTEXT_KEY, true)).toThrow('Cannot set context after children have been added: test');
    });

    test('cdk8s App has no context prop: new App({ context }) is ignored, so warnings stay warnings', () => {
      // not in AppProps (a type error in TypeScript); cast to show what a JavaScript user would get
      const app = new App({ context: { [BoundTokenRules.STRICT_CONTEXT_KEY]: true } } as any);
      expect(app.node.tryGetContext(BoundTokenRules.STRICT_CONTEXT_KEY)).toBeUndefined();
      const c = new Chart(app, 'test');
      pod(c, 'Pod');
      expect(captureWarnings(() => synth(c)).join('\n')).toContain('BT120');
    });
  });

  test('errors stay errors however warnings are treated', () => {
    const c = chart();
    pod(c, 'Pod', [{ path: '/abs' }]);
    BoundTokenRules.acknowledge(c, 'BT120', 'reason');
    expect(errorOf(() => synth(c))).toContain('BT111');
  });
});
