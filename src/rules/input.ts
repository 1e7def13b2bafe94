// Rules about the input itself, for checks of plain manifests (the lint
// command and the cdk8s validation plugin): a field the rules read with the
// wrong type, a value that is an unrendered template, and the per-file count
// of cluster issuer objects. Pure: no cdk8s, no YAML parser.
import { R } from './catalogue';
import { Finding, finding, pointerSegments, ptr, show } from './finding';
import { CONTAINER_GROUPS, isAuthentication, locationOfKind, PodSpecLocation, podSpecLocations } from './kubernetes';

/**
 * Where the pod spec of an object is, also when its shape is wrong: the
 * built-in kinds by their kind alone, any other kind by its containers or
 * volumes list at spec.template.spec (locatePodSpec). For an object with
 * several pod specs (an OLM ClusterServiceVersion), the first.
 */
export function podSpecLocationOf(obj: any): PodSpecLocation | undefined {
  return podSpecLocationsOf(obj)[0];
}

/** Every pod spec of an object, also when its shape is wrong (podSpecLocationOf; podSpecLocations for a ClusterServiceVersion). */
export function podSpecLocationsOf(obj: any): readonly PodSpecLocation[] {
  const loc = locationOfKind(obj?.kind);
  return loc ? [loc] : podSpecLocations(obj);
}

/** How a value is described in a shape message: its type, and short values themselves. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  const s = show(value);
  return `a ${typeof value} ${s.length > 40 ? s.slice(0, 37) + '...' : s}`;
}

/** True for a YAML mapping read as a plain object (not a list, not null). */
export function isMapping(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * BT902: the fields the rules read, with the wrong type. A missing or null
 * field is not wrong (the API server treats null as absent); a list where a
 * mapping belongs, or a string where a list belongs, is. The objects' other
 * fields are not looked at.
 */
export function checkShape(obj: any): Finding[] {
  return shapeOk(obj) ? [] : shapeFindings(obj);
}

/** Null, absent, or of the type. */
const mappingOrNone = (v: any) => v === undefined || v === null || isMapping(v);
const listOrNone = (v: any) => v === undefined || v === null || Array.isArray(v);

/** The fast answer for the common case: every field checkShape reads has its type (builds no strings). */
function shapeOk(obj: any): boolean {
  const meta = (m: any) => mappingOrNone(m) && (m === undefined || m === null || mappingOrNone(m.annotations));
  if (!meta(obj.metadata)) return false;
  if (isAuthentication(obj)) return mappingOrNone(obj.spec);
  for (const loc of podSpecLocationsOf(obj)) if (!podShapeOk(obj, loc)) return false;
  return true;
}

/** The steps of a location's pointers, and which step leads to a list (one before an index), read once per location. */
const STEPS = new WeakMap<PodSpecLocation, { steps: string[]; listAt: boolean[]; metaSteps: string[] }>();
function stepsOf(loc: PodSpecLocation): { steps: string[]; listAt: boolean[]; metaSteps: string[] } {
  let known = STEPS.get(loc);
  if (known === undefined) {
    const steps = pointerSegments(loc.specPath);
    known = { steps, listAt: steps.map((_, i) => /^\d+$/.test(steps[i + 1] ?? '')), metaSteps: pointerSegments(loc.templateMetadataPath) };
    STEPS.set(loc, known);
  }
  return known;
}

/** shapeOk for one pod spec of the object. */
function podShapeOk(obj: any, loc: PodSpecLocation): boolean {
  const meta = (m: any) => mappingOrNone(m) && (m === undefined || m === null || mappingOrNone(m.annotations));
  let cur: any = obj;
  const { steps, listAt, metaSteps } = stepsOf(loc);
  for (let i = 0; i < steps.length; i++) {
    cur = cur[steps[i]];
    if (cur === undefined || cur === null) return true;
    // a mapping, or a list before an index (a ClusterServiceVersion's deployments)
    if (!(listAt[i] ? Array.isArray(cur) : isMapping(cur))) return false;
  }
  if (metaSteps.length > 0) {
    let t: any = obj;
    for (const step of metaSteps) t = t?.[step];
    if (!meta(t)) return false;
  }
  if (!mappingOrNone(cur.securityContext) || !listOrNone(cur.volumes)) return false;
  for (const v of cur.volumes ?? []) {
    if (v === undefined || v === null) continue;
    if (!isMapping(v) || !mappingOrNone(v.projected)) return false;
    const sources = v.projected?.sources;
    if (!listOrNone(sources)) return false;
    for (const src of sources ?? []) {
      if (src === undefined || src === null) continue;
      if (!isMapping(src) || !mappingOrNone(src.serviceAccountToken)) return false;
      const audience = src.serviceAccountToken?.audience;
      if (audience !== undefined && audience !== null && typeof audience !== 'string') return false;
    }
  }
  for (const group of CONTAINER_GROUPS) {
    const list = cur[group];
    if (!listOrNone(list)) return false;
    for (const c of list ?? []) {
      if (c === undefined || c === null) continue;
      if (!isMapping(c) || !listOrNone(c.volumeMounts)) return false;
      for (const m of c.volumeMounts ?? []) if (m !== undefined && m !== null && !isMapping(m)) return false;
    }
  }
  return true;
}

/** The findings of checkShape, always computed (checkShape skips it when the fast check passes; the tests compare both). */
export function shapeFindings(obj: any): Finding[] {
  const out: Finding[] = [];
  const want = (value: unknown, path: string, prop: string, type: 'mapping' | 'list' | 'string'): boolean => {
    if (value === undefined || value === null) return false;
    const ok = type === 'list' ? Array.isArray(value) : type === 'string' ? typeof value === 'string' : isMapping(value);
    if (!ok) {
      out.push(finding(R.INPUT_SHAPE, path, prop, `must be a ${type}, so the object was not checked further`, describe(value)));
    }
    return ok;
  };
  const meta = (m: unknown, path: string) => {
    if (want(m, path, 'metadata', 'mapping')) {
      want((m as any).annotations, path + '/annotations', 'annotations', 'mapping');
    }
  };
  meta(obj.metadata, '/metadata');

  if (isAuthentication(obj)) {
    want(obj.spec, '/spec', 'spec', 'mapping');
    return out;
  }
  for (const loc of podSpecLocationsOf(obj)) podShapeFindings(obj, loc, want, meta);
  return out;
}

type Want = (value: unknown, path: string, prop: string, type: 'mapping' | 'list' | 'string') => boolean;

/** shapeFindings for one pod spec of the object. */
function podShapeFindings(obj: any, loc: PodSpecLocation, want: Want, meta: (m: unknown, path: string) => void): void {
  // every mapping on the way to the pod spec (and the list of a ClusterServiceVersion's deployments)
  const steps = loc.specPath.slice(1).split('/');
  let cur: any = obj;
  let at = '';
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    at += '/' + step;
    const next = cur[step];
    if (!want(next, at, step, /^\d+$/.test(steps[i + 1] ?? '') ? 'list' : 'mapping')) return;
    cur = next;
  }
  if (loc.templateMetadataPath) {
    const parent = loc.templateMetadataPath.slice(0, -'/metadata'.length);
    let t: any = obj;
    for (const step of parent.slice(1).split('/')) t = t?.[step];
    meta(t?.metadata, loc.templateMetadataPath);
  }
  const spec = cur;
  const sp = loc.specPath;
  want(spec.securityContext, `${sp}/securityContext`, 'securityContext', 'mapping');
  if (want(spec.volumes, `${sp}/volumes`, 'volumes', 'list')) {
    (spec.volumes as any[]).forEach((v, i) => {
      const vp = `${sp}/volumes/${i}`;
      if (!want(v, vp, `volumes[${i}]`, 'mapping')) return;
      if (!want(v.projected, `${vp}/projected`, 'projected', 'mapping')) return;
      if (!want(v.projected.sources, `${vp}/projected/sources`, 'sources', 'list')) return;
      (v.projected.sources as any[]).forEach((s, j) => {
        const sp2 = `${vp}/projected/sources/${j}`;
        if (!want(s, sp2, `sources[${j}]`, 'mapping')) return;
        if (want(s.serviceAccountToken, `${sp2}/serviceAccountToken`, 'serviceAccountToken', 'mapping')) {
          // one token carries one audience: a list is refused by the API server (project one token per audience)
          want(s.serviceAccountToken.audience, `${sp2}/serviceAccountToken/audience`, 'audience', 'string');
        }
      });
    });
  }
  for (const group of CONTAINER_GROUPS) {
    if (!want(spec[group], `${sp}/${group}`, group, 'list')) continue;
    (spec[group] as any[]).forEach((c, i) => {
      const cp = `${sp}/${group}/${i}`;
      if (!want(c, cp, `${group}[${i}]`, 'mapping')) return;
      if (!want(c.volumeMounts, `${cp}/volumeMounts`, 'volumeMounts', 'list')) return;
      (c.volumeMounts as any[]).forEach((m, k) => want(m, `${cp}/volumeMounts/${k}`, `volumeMounts[${k}]`, 'mapping'));
    });
  }
}

/**
 * `{{ ... }}`, `${NAME}` (with an envsubst or shell default), or a bare
 * shell placeholder `$NAME` not escaped as `$$` (envsubst, shell heredocs,
 * CI scripts): `$OPENID_BUCKET_URL` is a value still to come, not an issuer.
 */
const TEMPLATE = /\{\{[\s\S]*?\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:=?+-][^}]*)?\}|(?:^|[^$])\$[A-Za-z_][A-Za-z0-9_]*/;

/** True when a string holds an unrendered template: `{{ ... }}` (Helm, Go), `${NAME}` or `$NAME` (envsubst, shell, Flux). */
export function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && TEMPLATE.test(value);
}

/**
 * True when the rules read the value at `pointer` (or a value under it):
 * the kind, the way to the pod spec, the pod spec's volumes, volume mounts,
 * service account and security context, and the Authentication's name and
 * issuer. A template anywhere else (an image, a shell argument) does not
 * keep the rules from checking the object.
 */
export function rulesRead(obj: any, pointer: string): boolean {
  if (pointer === '' || pointer === '/kind') return true;
  if (isAuthentication(obj)) {
    return ['/apiVersion', '/metadata', '/metadata/name', '/spec', '/spec/serviceAccountIssuer'].includes(pointer);
  }
  for (const loc of podSpecLocationsOf(obj)) if (podSpecReads(loc.specPath, pointer)) return true;
  return false;
}

/** rulesRead for one pod spec at `sp`. */
function podSpecReads(sp: string, pointer: string): boolean {
  if (pointer === sp || sp.startsWith(pointer + '/')) return true;
  if (!pointer.startsWith(sp + '/')) return false;
  const rest = pointer.slice(sp.length + 1).split('/');
  switch (rest[0]) {
    case 'volumes':
    case 'serviceAccountName':
    case 'serviceAccount':
    case 'securityContext':
      return true;
    default:
      return CONTAINER_GROUPS.includes(rest[0]) && (rest.length <= 2 || rest[2] === 'volumeMounts');
  }
}

/** Rules that compare names across a pod: a template in any name may make them wrong. */
const NAME_REFERENCE_RULES = new Set([R.VOLUME_NAME_DUPLICATE.id, R.MOUNT_NOWHERE.id, R.MOUNT_UNKNOWN_VOLUME.id]);

/** An unrendered template value: where it is and its source text. */
export interface TemplateValue {
  /** JSON pointer of the value. */
  readonly path: string;
  /** Its text, as written. */
  readonly text: string;
}

/** The name of the field at a JSON pointer, for messages: `audience`, `volumes[0]`, `document`. */
export function propOf(pointer: string): string {
  const segs = pointerSegments(pointer);
  const last = segs.pop();
  if (last === undefined) return 'document';
  if (/^\d+$/.test(last) && segs.length > 0) return `${segs[segs.length - 1]}[${last}]`;
  return last;
}

/**
 * BT904 for an object that holds unrendered template values: one warning for
 * the first such value the rules read, and the findings that those values
 * would make wrong removed (a finding at, under or above a template value,
 * and the name cross-references when a volume or mount name is a template).
 * `templated` lists the template values in document order.
 */
export function applyTemplates(obj: any, findings: Finding[], templated: readonly TemplateValue[]): Finding[] {
  const read = templated.filter(t => rulesRead(obj, t.path));
  if (read.length === 0) return findings;
  const roots = new Set(['', ...podSpecLocationsOf(obj).map(l => l.specPath)]);
  const names = read.some(t => /\/(volumes|volumeMounts)(\/\d+(\/name)?)?$/.test(t.path));
  // the template paths, and every pointer above one: a finding at, under or above a template is
  // dropped by looking its pointer and its ancestors up (linear, never finding x template)
  const at = new Set<string>();
  const above = new Set<string>();
  for (const { path: t } of read) {
    at.add(t);
    for (let i = t.lastIndexOf('/'); i > 0; i = t.lastIndexOf('/', i - 1)) above.add(t.slice(0, i));
    above.add('');
  }
  const kept = findings.filter(f => {
    if (names && NAME_REFERENCE_RULES.has(f.ruleId)) return false;
    if (!roots.has(f.path) && above.has(f.path)) return false;
    for (let p = f.path; ; p = p.slice(0, p.lastIndexOf('/'))) {
      if (at.has(p)) return false;
      if (p === '') return true;
    }
  });
  const first = read[0];
  const more = read.length > 1 ? ` (and ${read.length - 1} more template value${read.length > 2 ? 's' : ''} the rules read)` : '';
  return [
    finding(R.INPUT_TEMPLATE, first.path, propOf(first.path), `is an unrendered template, so it was not checked${more}`, show(first.text)),
    ...kept,
  ];
}

/**
 * The JSON pointers of the string values under `value` that hold a template,
 * in document order. Iterative, and each shared (aliased) node is read once.
 */
export function templateStrings(value: unknown): TemplateValue[] {
  const out: TemplateValue[] = [];
  const seen = new Set<object>();
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (isTemplate(v)) out.push({ path, text: v });
      continue;
    }
    if (!v || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    // pushed in reverse, so that they come off the stack in document order
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}/${i}`]);
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        if (isTemplate(k)) stack.push([k, path]);
        else stack.push([(v as any)[k], path + ptr(k)]);
      }
    }
  }
  return out;
}

/**
 * BT160 over the objects of one file or stream (or one app): every
 * Authentication named `cluster` is reported when there is more than one.
 * Returns the findings by index of `objects`.
 */
export function checkIssuerCount(objects: readonly any[], where: string): Map<number, Finding> {
  const idx: number[] = [];
  objects.forEach((o, i) => {
    if (isAuthentication(o) && o?.metadata?.name === 'cluster') idx.push(i);
  });
  const out = new Map<number, Finding>();
  if (idx.length < 2) return out;
  idx.forEach((i, n) => {
    out.set(i, finding(R.ISSUER_MULTIPLE, '/metadata/name', 'metadata.name',
      `is 'cluster' on ${idx.length} Authentication objects of this ${where}, and the last one applied silently wins`,
      `object ${n + 1} of ${idx.length}`, `keep exactly one Authentication named cluster per ${where}`));
  });
  return out;
}
