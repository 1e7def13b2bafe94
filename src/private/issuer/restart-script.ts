// Internal: the shell script of the issuer restart Job. It is configured only
// through environment variables (see RESTART_ENV), so its text never depends
// on the options and the tests run exactly this text with a fake `oc`.

/** The environment variables the script reads. */
export const RESTART_ENV = {
  /** The issuer to wait for (required). */
  NEW_ISSUER: 'NEW_ISSUER',
  /** The Job's own namespace and service account (required; used to request a token). */
  SELF_NAMESPACE: 'SELF_NAMESPACE',
  SELF_SERVICE_ACCOUNT: 'SELF_SERVICE_ACCOUNT',
  /**
   * The ConfigMap (in SELF_NAMESPACE) whose annotation
   * bound-tokens.io/restarted-issuer records the issuer of the last
   * successful restart; empty = no record (always restart).
   */
  STATE_CONFIGMAP: 'STATE_CONFIGMAP',
  /** 'rollout' (default) or 'delete-pods'. */
  MODE: 'MODE',
  /** Space-separated namespaces to restart; empty = every namespace. */
  NAMESPACES: 'NAMESPACES',
  /** Space-separated exclusion patterns (shell patterns, e.g. openshift-*). */
  EXCLUDE: 'EXCLUDE',
  /** Seconds to pause between two namespaces. */
  PAUSE_SECONDS: 'PAUSE_SECONDS',
  /** Seconds between two polls while waiting. */
  POLL_SECONDS: 'POLL_SECONDS',
  /** Give up waiting for the new issuer after this many seconds. */
  WAIT_TIMEOUT_SECONDS: 'WAIT_TIMEOUT_SECONDS',
  /** Consecutive fresh tokens that must carry the new issuer. */
  CONFIRMATIONS: 'CONFIRMATIONS',
} as const;

/**
 * The script (bash). Phases:
 * 0. read the record of the last successful restart: when it names the
 *    issuer the Job waits for, the restart for this issuer change is done
 *    (an upgrade or option change made a new Job): exit at once;
 * 1. wait until fresh tokens (TokenRequest for the Job's own account) carry
 *    the new issuer on CONFIRMATIONS requests in a row: at least one
 *    kube-apiserver instance signs with it, so its rollout has started;
 * 2. wait until the `kube-apiserver` cluster operator is no longer
 *    Progressing: every instance runs the new revision;
 * 3. confirm (1) again, then restart one namespace at a time with a pause,
 *    skipping excluded namespaces and the Job's own.
 * 4. record the issuer, after a restart without failures.
 * Pods restarted before phase 3 could get tokens of the old issuer again.
 */
export const RESTART_SCRIPT = `set -euo pipefail
# No pathname expansion: exclusion patterns such as openshift-* stay patterns.
set -f

: "\${NEW_ISSUER:?NEW_ISSUER is required}"
: "\${SELF_NAMESPACE:?SELF_NAMESPACE is required}"
: "\${SELF_SERVICE_ACCOUNT:?SELF_SERVICE_ACCOUNT is required}"
MODE="\${MODE:-rollout}"
NAMESPACES="\${NAMESPACES:-}"
EXCLUDE="\${EXCLUDE:-}"
PAUSE_SECONDS="\${PAUSE_SECONDS:-10}"
POLL_SECONDS="\${POLL_SECONDS:-15}"
WAIT_TIMEOUT_SECONDS="\${WAIT_TIMEOUT_SECONDS:-7200}"
CONFIRMATIONS="\${CONFIRMATIONS:-5}"
STATE_CONFIGMAP="\${STATE_CONFIGMAP:-}"
MARKER='bound-tokens.io/restarted-issuer'
MARKER_JSONPATH='{.metadata.annotations.bound-tokens\\.io/restarted-issuer}'
failures=0
token_failures=0
token_error=""
TOKEN_ERR="\${TMPDIR:-/tmp}/issuer-restart-token.$$.err"

log() { printf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() { log "ERROR: $*"; exit 1; }

case "$MODE" in
  rollout|delete-pods) ;;
  *) fail "MODE must be rollout or delete-pods, got '$MODE'" ;;
esac

# Runs a command up to 5 times, pausing POLL_SECONDS between tries.
retry() {
  local n=1
  until "$@"; do
    if (( n >= 5 )); then return 1; fi
    n=$(( n + 1 ))
    sleep "$POLL_SECONDS"
  done
}

# The issuer (the "iss" claim) of a fresh token for this Job's own service
# account: what the kube-apiserver instance that answers signs with now.
# The token itself is never printed.
# A failed token request leaves its error (one line) in TOKEN_ERR.
token_issuer() {
  local token payload
  if ! token=$(oc create token "$SELF_SERVICE_ACCOUNT" -n "$SELF_NAMESPACE" --duration=10m 2>"$TOKEN_ERR"); then
    [[ -s "$TOKEN_ERR" ]] || echo "oc create token failed without a message" > "$TOKEN_ERR"
    return 0
  fi
  rm -f "$TOKEN_ERR"
  payload=\${token#*.}
  payload=\${payload%%.*}
  payload=$(printf '%s' "$payload" | tr '_-' '/+')
  case $(( \${#payload} % 4 )) in
    2) payload="\${payload}==" ;;
    3) payload="\${payload}=" ;;
  esac
  printf '%s' "$payload" | base64 -d 2>/dev/null | sed -n 's/.*"iss":"\\([^"]*\\)".*/\\1/p' || true
}

timed_out() { (( SECONDS >= WAIT_TIMEOUT_SECONDS )); }

# Waits until CONFIRMATIONS fresh tokens in a row carry the new issuer.
# A token request that fails 5 times in a row ends the Job with its error:
# waiting would not help (no permission, no such account, no API server).
wait_for_new_issuer() {
  local seen=0 got
  while (( seen < CONFIRMATIONS )); do
    rm -f "$TOKEN_ERR"
    got=$(token_issuer)
    if [[ -s "$TOKEN_ERR" ]]; then
      token_error=$(head -c 500 "$TOKEN_ERR" | tr '\n' ' ')
      token_failures=$(( token_failures + 1 ))
      if (( token_failures >= 5 )) || timed_out; then
        fail "cannot request a token for the Job's own service account ($SELF_NAMESPACE/$SELF_SERVICE_ACCOUNT), $token_failures time(s) in a row: oc create token: \${token_error}; check the Role $SELF_SERVICE_ACCOUNT-token (create serviceaccounts/token) and its RoleBinding; nothing was restarted"
      fi
      log "WARNING: could not request a token (oc create token: \${token_error}); trying again"
      seen=0
      sleep "$POLL_SECONDS"
      continue
    fi
    token_failures=0
    if [[ "$got" == "$NEW_ISSUER" ]]; then
      seen=$(( seen + 1 ))
      continue
    fi
    seen=0
    if timed_out; then
      if [[ -z "$got" ]]; then
        fail "after \${SECONDS}s the tokens the kube-apiserver issues still carry no readable issuer (no iss claim in the token's payload), not '$NEW_ISSUER'; nothing was restarted"
      fi
      fail "after \${SECONDS}s the kube-apiserver still signs tokens with '$got', not '$NEW_ISSUER'; check that the Authentication change is applied (oc get authentication cluster -o yaml) and the kube-apiserver operator (oc get clusteroperator kube-apiserver); nothing was restarted"
    fi
    log "tokens are still signed by '\${got:-?}'; waiting for '$NEW_ISSUER'"
    sleep "$POLL_SECONDS"
  done
}

# Waits until the kube-apiserver cluster operator is no longer progressing.
wait_for_rollout() {
  local status
  while true; do
    status=$(oc get clusteroperator kube-apiserver -o jsonpath='{.status.conditions[?(@.type=="Progressing")].status}' 2>/dev/null || true)
    if [[ "$status" == "False" ]]; then return 0; fi
    if timed_out; then
      fail "after \${SECONDS}s the kube-apiserver cluster operator is still Progressing=\${status:-?}; nothing was restarted"
    fi
    log "kube-apiserver rollout in progress (Progressing=\${status:-?}); waiting"
    sleep "$POLL_SECONDS"
  done
}

is_excluded() {
  local ns=$1 pattern
  if [[ "$ns" == "$SELF_NAMESPACE" ]]; then return 0; fi
  for pattern in $EXCLUDE; do
    # shellcheck disable=SC2254
    case "$ns" in $pattern) return 0 ;; esac
  done
  return 1
}

# A graceful rollout restart of every Deployment, StatefulSet and DaemonSet.
restart_rollout() {
  local ns=$1 lines kind name strategy
  if ! lines=$(retry oc get deployments,statefulsets,daemonsets -n "$ns" -o jsonpath='{range .items[*]}{.kind}{" "}{.metadata.name}{" "}{.spec.updateStrategy.type}{"\\n"}{end}'); then
    log "ERROR: $ns: cannot list its workloads"
    failures=$(( failures + 1 ))
    return 0
  fi
  if [[ -z "$lines" ]]; then
    log "$ns: no Deployment, StatefulSet or DaemonSet"
    return 0
  fi
  while read -r kind name strategy; do
    if [[ -z "$kind" ]]; then continue; fi
    if oc rollout restart "\${kind,,}/$name" -n "$ns" >/dev/null; then
      log "$ns: restarted \${kind,,}/$name"
    else
      log "ERROR: $ns: could not restart \${kind,,}/$name"
      failures=$(( failures + 1 ))
    fi
    if [[ "$strategy" == "OnDelete" ]]; then
      log "WARNING: $ns: \${kind,,}/$name uses updateStrategy OnDelete, so a rollout restart does not replace its pods; delete them yourself"
    fi
  done <<< "$lines"
}

# Deletes the running pods that a controller recreates (the seed document's method).
restart_delete_pods() {
  local ns=$1 lines name phase owner
  local victims=() bare=()
  if ! lines=$(retry oc get pods -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.phase}{" "}{.metadata.ownerReferences[0].kind}{"\\n"}{end}'); then
    log "ERROR: $ns: cannot list its pods"
    failures=$(( failures + 1 ))
    return 0
  fi
  while read -r name phase owner; do
    if [[ -z "$name" ]]; then continue; fi
    case "$phase" in Succeeded|Failed) continue ;; esac
    if [[ -z "$owner" ]]; then bare+=("$name"); else victims+=("$name"); fi
  done <<< "$lines"
  if (( \${#bare[@]} > 0 )); then
    log "WARNING: $ns: not deleting pods that no controller recreates: \${bare[*]}; restart them yourself"
  fi
  if (( \${#victims[@]} == 0 )); then
    log "$ns: no running pod to delete"
    return 0
  fi
  if oc delete pod "\${victims[@]}" -n "$ns" --wait=false >/dev/null; then
    log "$ns: deleted \${#victims[@]} pod(s)"
  else
    log "ERROR: $ns: could not delete its pods"
    failures=$(( failures + 1 ))
  fi
}

if [[ -n "$STATE_CONFIGMAP" ]]; then
  if ! recorded=$(retry oc get configmap "$STATE_CONFIGMAP" -n "$SELF_NAMESPACE" -o jsonpath="$MARKER_JSONPATH" 2>&1); then
    fail "cannot read the record of the last restart (oc get configmap $STATE_CONFIGMAP -n $SELF_NAMESPACE: $(printf '%s' "$recorded" | head -c 500 | tr '\n' ' ')); nothing was restarted"
  fi
  if [[ "$recorded" == "$NEW_ISSUER" ]]; then
    log "the pods were already restarted for '$NEW_ISSUER' (configmap $STATE_CONFIGMAP, annotation $MARKER); nothing to do"
    exit 0
  fi
  log "last restart recorded for '\${recorded:-nothing}'"
fi

log "waiting until the kube-apiserver signs tokens with '$NEW_ISSUER'"
wait_for_new_issuer
log "the kube-apiserver signs tokens with the new issuer; waiting for its rollout to finish"
wait_for_rollout
wait_for_new_issuer
log "the new issuer is in effect after \${SECONDS}s; restarting ($MODE)"

if [[ -n "$NAMESPACES" ]]; then
  targets=$NAMESPACES
else
  targets=$(retry oc get namespaces -o jsonpath='{.items[*].metadata.name}') || fail "cannot list the namespaces; nothing was restarted"
fi

done_count=0
for ns in $targets; do
  if is_excluded "$ns"; then
    log "$ns: skipped (excluded)"
    continue
  fi
  if (( done_count > 0 )); then sleep "$PAUSE_SECONDS"; fi
  if [[ "$MODE" == "rollout" ]]; then restart_rollout "$ns"; else restart_delete_pods "$ns"; fi
  done_count=$(( done_count + 1 ))
done

if (( failures > 0 )); then
  fail "restarted $done_count namespace(s) with $failures failure(s); see the messages above (not recorded: delete this Job to run the whole restart again)"
fi
if [[ -n "$STATE_CONFIGMAP" ]]; then
  if ! out=$(retry oc annotate configmap "$STATE_CONFIGMAP" -n "$SELF_NAMESPACE" --overwrite "$MARKER=$NEW_ISSUER" 2>&1); then
    fail "restarted $done_count namespace(s), but cannot record it (oc annotate configmap $STATE_CONFIGMAP: $(printf '%s' "$out" | head -c 500 | tr '\n' ' ')); a later Job for '$NEW_ISSUER' would restart them again"
  fi
fi
log "done: restarted $done_count namespace(s) in \${SECONDS}s"
`;
