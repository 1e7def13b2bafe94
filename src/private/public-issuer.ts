// Internal: the marker that identity presets use to say "this construct needs
// a cloud to fetch the cluster issuer's discovery document" (BT169). It lives
// in the app's issuer facts (./issuer/facts.ts); presets import it from here.
//
//   markNeedsPublicIssuer(this, 'AWS IAM roles for service accounts');
export { issuerKeysUploaded, markIssuerKeysUploaded, markNeedsPublicIssuer, publicIssuerMarks } from './issuer/facts';
export type { PublicIssuerMark } from './issuer/facts';
