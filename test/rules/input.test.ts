import * as fc from 'fast-check';
import { applyTemplates, checkShape, isTemplate, propOf, rulesRead, shapeFindings } from '../../src/rules';

describe('checkShape (BT902)', () => {
  // mostly the right type, so that the deep fields are reached; sometimes absent, null or wrong
  const any = (inner: fc.Arbitrary<unknown>) => fc.oneof(
    { arbitrary: fc.constantFrom(undefined, null, 'text', 3, {}, []), weight: 1 },
    { arbitrary: inner, weight: 6 });
  const list = (item: fc.Arbitrary<unknown>) => any(fc.array(item, { maxLength: 3 }));
  const map = (fields: Record<string, fc.Arbitrary<unknown>>) => any(fc.record(fields, { requiredKeys: [] }));
  const metadata = map({ name: fc.constant('x'), annotations: map({ a: fc.constant('b') }) });
  const source = map({ serviceAccountToken: map({ path: fc.constant('t') }) });
  const volume = map({ name: fc.constant('v'), projected: map({ sources: list(source) }) });
  const container = map({ name: fc.constant('c'), volumeMounts: list(map({ name: fc.constant('v') })) });
  const podSpec = map({
    securityContext: map({ fsGroup: fc.constant(1) }),
    volumes: list(volume),
    initContainers: list(container),
    containers: list(container),
    ephemeralContainers: list(container),
  });
  const template = map({ metadata, spec: podSpec });
  const object = fc.oneof(
    fc.record({ kind: fc.constant('Pod'), metadata, spec: podSpec }, { requiredKeys: ['kind'] }),
    fc.record({ kind: fc.constantFrom('Deployment', 'Job', 'Rollout'), metadata, spec: map({ template }) }, { requiredKeys: ['kind'] }),
    fc.record({ kind: fc.constant('CronJob'), metadata, spec: map({ jobTemplate: map({ spec: map({ template }) }) }) }, { requiredKeys: ['kind'] }),
    fc.record({ kind: fc.constant('PodTemplate'), metadata, template }, { requiredKeys: ['kind'] }),
    fc.record({ apiVersion: fc.constant('config.openshift.io/v1'), kind: fc.constant('Authentication'), metadata, spec: any(fc.constant({})) }, { requiredKeys: ['kind', 'apiVersion'] }),
  );

  test('the fast check and the full one agree on every shape (property)', () => {
    let reported = 0;
    fc.assert(fc.property(object, obj => {
      const full = shapeFindings(obj);
      reported += full.length;
      expect(checkShape(obj)).toEqual(full);
    }), { numRuns: 3000 });
    expect(reported).toBeGreaterThan(1000);
  });

  test('fails when a volume mount is not a mapping', () => {
    const f = checkShape({ kind: 'Pod', spec: { containers: [{ name: 'a', volumeMounts: ['tok'] }] } });
    expect(f.map(x => [x.ruleId, x.path])).toEqual([['BT902', '/spec/containers/0/volumeMounts/0']]);
    expect(f[0].message).toContain("BT902: 'volumeMounts[0]' must be a mapping, so the object was not checked further, got a string 'tok'");
  });

  test('fails when the pod template of a built-in kind is not a mapping, even without containers', () => {
    const f = checkShape({ kind: 'Deployment', spec: { template: 'nginx' } });
    expect(f.map(x => [x.ruleId, x.path])).toEqual([['BT902', '/spec/template']]);
  });

  test('a kustomize-style patch without a pod template is not of the wrong shape', () => {
    expect(checkShape({ kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 3 } })).toEqual([]);
  });
});

describe('templates (BT904)', () => {
  test.each(['{{ .Values.x }}', 'a-{{ include "n" . }}-b', '${VAR}', '${VAR:-default}', '${var:=x}', 'pre${A_1}post', '$HOME', '$OPENID_BUCKET_URL', 'https://$BUCKET.example.com'])('%s is a template', v => {
    expect(isTemplate(v)).toBe(true);
  });
  test.each(['plain', '$(POD_NAMESPACE)', '$$HOME', 'a$', '{ a: b }', '${', '{{', '${1X}', 'cost: $5'])('%s is no template', v => {
    expect(isTemplate(v)).toBe(false);
  });

  test('a string with neither {{, ${ nor an unescaped $NAME is never a template (property)', () => {
    fc.assert(fc.property(fc.string(), s => {
      if (!s.includes('{{') && !s.includes('${') && !/(^|[^$])\$[A-Za-z_]/.test(s)) expect(isTemplate(s)).toBe(false);
    }));
  });

  test('any text around {{ ... }} is a template (property)', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
      expect(isTemplate(`${a}{{${b.replace(/}}/g, '')}}}${c}`)).toBe(true);
    }));
  });

  test('the rules read the pod spec volumes, mounts, account and security context, not images or arguments', () => {
    const dep = { kind: 'Deployment', spec: { template: { spec: {} } } };
    expect(rulesRead(dep, '/spec/template/spec/volumes/0/projected')).toBe(true);
    expect(rulesRead(dep, '/spec/template/spec/containers/0/volumeMounts/0/mountPath')).toBe(true);
    expect(rulesRead(dep, '/spec/template/spec/containers/0')).toBe(true);
    expect(rulesRead(dep, '/spec/template')).toBe(true);
    expect(rulesRead(dep, '/spec/template/spec/serviceAccountName')).toBe(true);
    expect(rulesRead(dep, '/spec/template/spec/containers/0/image')).toBe(false);
    expect(rulesRead(dep, '/spec/template/spec/containers/0/args/1')).toBe(false);
    expect(rulesRead(dep, '/metadata/namespace')).toBe(false);
    expect(rulesRead({ kind: 'ConfigMap' }, '/data/x')).toBe(false);
    expect(rulesRead({ kind: 'ConfigMap' }, '/kind')).toBe(true);
    const auth = { apiVersion: 'config.openshift.io/v1', kind: 'Authentication' };
    expect(rulesRead(auth, '/spec/serviceAccountIssuer')).toBe(true);
    expect(rulesRead(auth, '/spec/oauthMetadata')).toBe(false);
  });

  test('warns once for the first template the rules read and drops the findings it would make wrong', () => {
    const pod = { kind: 'Pod', spec: { containers: [{ image: '${IMAGE}' }], volumes: [{ name: '${N}' }] } };
    const findings = [
      { ruleId: 'BT130', level: 'error' as const, path: '/spec/volumes/0/name', message: 'x' },
      { ruleId: 'BT144', level: 'error' as const, path: '/spec/containers/0/volumeMounts/0/name', message: 'y' },
      { ruleId: 'BT151', level: 'warning' as const, path: '/spec', message: 'z' },
    ];
    const out = applyTemplates(pod, findings, [{ path: '/spec/containers/0/image', text: '${IMAGE}' }, { path: '/spec/volumes/0/name', text: '${N}' }]);
    expect(out.map(f => [f.ruleId, f.path])).toEqual([['BT904', '/spec/volumes/0/name'], ['BT151', '/spec']]);
    expect(out[0].message).toBe("BT904: 'name' is an unrendered template, so it was not checked, got '${N}'; lint the rendered manifests (helm template, kustomize build, envsubst) rather than their templates");
  });

  test('names the field of a pointer for messages', () => {
    expect(propOf('')).toBe('document');
    expect(propOf('/spec/volumes/3')).toBe('volumes[3]');
    expect(propOf('/metadata/annotations/a~1b')).toBe('a/b');
  });
});
