// The port of Go's net/url.Parse: cases where it once differed from Go.
import { checkIssuerValue, parseGoUrl } from '../src/rules';

describe('parseGoUrl', () => {
  test("checks the fragment of '*' as Go's Parse does (parse returns early, Parse still unescapes the fragment)", () => {
    expect(parseGoUrl('*').ok).toBe(true);
    expect(parseGoUrl('*#ok').ok).toBe(true);
    const r = parseGoUrl('*#%zz');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toContain('invalid URL escape "%zz"');
  });

  test("fails when an issuer '*#%:' holds a bad escape in its fragment (BT162, not BT164)", () => {
    const f = checkIssuerValue('*#%:', '/spec/serviceAccountIssuer', 'serviceAccountIssuer');
    expect(f.map(x => x.ruleId)).toEqual(['BT162']);
    expect(f[0].message).toContain("contains ':' but is not a valid URL");
  });
});
