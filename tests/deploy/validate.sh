#!/usr/bin/env bash
# validate.sh - render the Kubernetes manifests (kustomize) and validate them
# offline: API schemas (npm kubernetes-models), a strict pass for unknown
# keys, the project's rules (validate.mjs), and the built stage-frontend's
# --check-config on every stage.yaml (BUILD_DIR, default build/). Then feed it
# broken variants to prove the validator rejects what it should. Installs what
# it needs. Usage: validate.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="${STAGE_TEST_CACHE:-$HOME/.cache/stage-tests}/k8s"
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) || build=${1:-$root/build} # stage-frontend --check-config reads each ConfigMap's stage.yaml

if ! command -v kubectl >/dev/null; then
  echo "validate: installing kubernetes-client (kubectl)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends kubernetes-client >/dev/null
fi
if ! command -v npm >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm >/dev/null
fi
mkdir -p "$cache"
if [ ! -d "$cache/node_modules/kubernetes-models" ] || [ ! -d "$cache/node_modules/js-yaml" ]; then
  echo "validate: npm install kubernetes-models@5.1.0 js-yaml@4 into $cache"
  [ -f "$cache/package.json" ] || echo '{"private":true}' >"$cache/package.json"
  (cd "$cache" && timeout 300 npm install --no-audit --no-fund --silent kubernetes-models@5.1.0 js-yaml@4)
fi
# KEDA's CRDs (overlays/keda*): 0.4.2 runs on Node 20 (2.0.0 wants Node 22).
if [ ! -d "$cache/node_modules/@kubernetes-models/keda" ]; then
  echo "validate: npm install @kubernetes-models/keda@0.4.2 into $cache"
  (cd "$cache" && timeout 300 npm install --no-audit --no-fund --silent @kubernetes-models/keda@0.4.2)
fi
# What the rules compare the manifests with, from the sources: the job
# queue's stream and consumer group (the KEDA trigger), the metric names each
# process exports (the HPAs' Pods metrics).
key_h=$root/common/keys.h
VALIDATE_QUEUE_STREAM=$(sed -n 's/^#define KEY_QUEUE  *"\([^"]*\)".*/\1/p' "$key_h")
VALIDATE_QUEUE_GROUP=$(sed -n 's/^#define KEY_QUEUE_GROUP  *"\([^"]*\)".*/\1/p' "$key_h")
VALIDATE_METRICS_stage_frontend=$(grep -oh '"stage_[a-z0-9_]*"' "$root"/frontend/*.c | tr -d '"' | sort -u | tr '\n' ' ')
VALIDATE_METRICS_stage_worker=$(grep -oh '"stage_[a-z0-9_]*"' "$root"/worker/*.c | tr -d '"' | sort -u | tr '\n' ' ')
# The image's user and binaries (what the Dockerfile and buildah.sh build).
# shellcheck source=../../deploy/docker/image.conf
. "$root/deploy/docker/image.conf"
VALIDATE_IMAGE_UID=$IMAGE_UID
VALIDATE_IMAGE_COMMANDS=$(for b in $IMAGE_BINARIES; do printf '%s/%s ' "$IMAGE_BINDIR" "$(basename "$b")"; done)
export VALIDATE_QUEUE_STREAM VALIDATE_QUEUE_GROUP VALIDATE_METRICS_stage_frontend VALIDATE_METRICS_stage_worker \
  VALIDATE_IMAGE_UID VALIDATE_IMAGE_COMMANDS
if [ -z "$VALIDATE_QUEUE_STREAM" ] || [ -z "$VALIDATE_QUEUE_GROUP" ] ||
  ! echo " $VALIDATE_METRICS_stage_frontend " | grep -q " stage_frontend_streams "; then
  echo "FAIL validate: cannot read the queue's names from $key_h or the frontend's metric names from frontend/*.c"
  exit 1
fi
# ESM resolves packages next to the script, not through NODE_PATH: the scripts
# run from a directory of this run beside a link to the cached node_modules (a
# shared copy in $cache would be overwritten by a run from another checkout).
js=$(mktemp -d)
ln -s "$cache/node_modules" "$js/node_modules"
cp "$here/validate.mjs" "$here/mutate.mjs" "$here/configs.mjs" "$js/"

# The stage.yaml of every ConfigMap in $rendered (or $2), as the frontend parses it
# (unknown keys, ranges, sizes), without the pods' environment.
check_config() {
  local name=$1 manifests=${2:-$rendered} conf out n=0
  if [ ! -x "$build/frontend/stage-frontend" ]; then
    echo "FAIL $name: $build/frontend/stage-frontend is not built (validate.sh BUILD_DIR)"
    fails=$((fails + 1))
    return
  fi
  conf=$(mktemp -d)
  node "$js/configs.mjs" "$conf" <"$manifests"
  for f in "$conf"/*.yaml; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    if out=$(cd "$conf" && env -i PATH="$PATH" STAGE_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" \
      "$build/frontend/stage-frontend" --check-config --config "$f" 2>&1); then
      echo "ok   $name: stage-frontend --check-config accepts ConfigMap $(basename "$f" .yaml)"
    else
      echo "FAIL $name: ConfigMap $(basename "$f" .yaml): $out"
      fails=$((fails + 1))
    fi
  done
  rm -rf "$conf"
  if [ $n -eq 0 ]; then
    echo "FAIL $name: no ConfigMap with a stage.yaml"
    fails=$((fails + 1))
  fi
}

fails=0 rendered_ok=0 rejected=0
rendered=$(mktemp)
trap 'rm -rf "$rendered" "$rendered.mut" "$js"' EXIT
for dir in "$root"/deploy/k8s/base "$root"/deploy/k8s/overlays/*/; do
  [ -f "$dir/kustomization.yaml" ] || continue
  name=${dir#"$root"/}; name=${name%/}
  if ! kubectl kustomize "$dir" >"$rendered" 2>"$rendered.err"; then
    echo "FAIL $name: kustomize: $(cat "$rendered.err")"
    fails=$((fails + 1))
    continue
  fi
  expect_tls=0
  case $name in deploy/k8s/overlays/tls*) expect_tls=1 ;; esac
  expect_sentinel=0
  case $name in deploy/k8s/overlays/sentinel* | deploy/k8s/overlays/*-sentinel) expect_sentinel=1 ;; esac
  expect_keda=0
  case $name in deploy/k8s/overlays/keda*) expect_keda=1 ;; esac
  if VALIDATE_EXPECT_TLS=$expect_tls VALIDATE_EXPECT_SENTINEL=$expect_sentinel VALIDATE_EXPECT_KEDA=$expect_keda \
    node "$js/validate.mjs" <"$rendered"; then
    echo "ok   $name"
    rendered_ok=$((rendered_ok + 1))
  else
    echo "FAIL $name"
    fails=$((fails + 1))
  fi
  check_config "$name"
done
rm -f "$rendered.err"

# The validator must reject each of these edits of the rendered base.
kubectl kustomize "$root/deploy/k8s/base" >"$rendered" 2>/dev/null
expect_reject() {
  local what=$1 expr=$2 out
  if out=$(sed -e "$expr" "$rendered" | node "$js/validate.mjs" 2>&1); then
    echo "FAIL validator accepted: $what"
    fails=$((fails + 1))
  else
    echo "ok   rejects $what: $(echo "$out" | head -1 | sed 's/^ *//')"
    rejected=$((rejected + 1))
  fi
}
expect_reject "replicas as a string" 's/replicas: 2/replicas: "two"/'
expect_reject "a misspelled container key" 's/readinessProbe:/readinesProbe:/'
expect_reject "a missing memory limit" 's/limits: {memory: 256Mi}/limits: {}/; s/^\( *\)memory: 256Mi$/\1cpu: 1/'
expect_reject "a grace period shorter than the drain" 's/terminationGracePeriodSeconds: 30/terminationGracePeriodSeconds: 5/'
expect_reject "a service selecting nothing" '0,/app: stage-frontend$/s//app: stage-frontnd/'
expect_reject "a mount of an undefined volume" '0,/name: config$/s//name: konfig/'
expect_reject "Redis without a password" 's/- --requirepass$/- --masterauth/'
expect_reject "a frontend without the Redis password" '0,/STAGE_REDIS_PASSWORD_FILE/s//STAGE_REDIS_PASSWORD_FIL/'
# shellcheck disable=SC2016 # sed's $, not the shell's
expect_reject "a worker with another key as Redis password" '/name: stage-worker$/,$s|value: /etc/stage-secrets/redis-password|value: /etc/stage-secrets/root-password|'
expect_reject "a redis-cli probe without the password" '/name: REDISCLI_AUTH/,/key:/s/key: redis-password/key: root-password/'
# ... and each of these, an edit of one object (KIND/NAME) in JavaScript (mutate.mjs).
# The edits apply to $src (the base unless said otherwise), validated with $expect_tls.
src=$rendered expect_tls=0
expect_reject_js() {
  local what=$1 obj=$2 code=$3 out
  if ! out=$(node "$js/mutate.mjs" "$obj" "$code" <"$src" 2>&1 >"$rendered.mut"); then
    echo "FAIL variant '$what': $out"
    fails=$((fails + 1))
  elif out=$(VALIDATE_EXPECT_TLS=$expect_tls node "$js/validate.mjs" <"$rendered.mut" 2>&1); then
    echo "FAIL validator accepted: $what"
    fails=$((fails + 1))
  else
    echo "ok   rejects $what: $(echo "$out" | head -1 | sed 's/^ *//')"
    rejected=$((rejected + 1))
  fi
  rm -f "$rendered.mut"
}
# The round trip through mutate.mjs alone must pass: a rejection is the edit's.
if out=$(node "$js/mutate.mjs" ConfigMap/stage-config '' <"$rendered" | node "$js/validate.mjs" 2>&1); then
  echo "ok   mutate.mjs without an edit: accepted"
else
  echo "FAIL mutate.mjs without an edit: $out"
  fails=$((fails + 1))
fi
# ... and --check-config must refuse a misspelled key.
saved=$fails
node "$js/mutate.mjs" ConfigMap/stage-config \
  'd.data["stage.yaml"] = d.data["stage.yaml"].replace("max_inflight_bytes:", "max_inflight_byte:")' \
  <"$rendered" >"$rendered.mut"
out=$(check_config "a misspelled ConfigMap key" "$rendered.mut" 2>&1)
fails=$saved
if echo "$out" | grep -q "^FAIL .*unknown key"; then
  rejected=$((rejected + 1))
  echo "ok   rejects a misspelled ConfigMap key: $(echo "$out" | grep -m1 '^FAIL' | sed 's/^FAIL [^:]*: //')"
else
  echo "FAIL --check-config accepted a misspelled ConfigMap key: $out"
  fails=$((fails + 1))
fi
expect_reject_js "Redis reachable from other namespaces" NetworkPolicy/stage-redis \
  'd.spec.ingress[0].from.push({namespaceSelector: {}})'
expect_reject_js "Redis reachable from any pod" NetworkPolicy/stage-redis 'delete d.spec.ingress[0].from'
expect_reject_js "Redis reachable on every port" NetworkPolicy/stage-redis 'delete d.spec.ingress[0].ports'
expect_reject_js "a Redis policy that shuts out the workers" NetworkPolicy/stage-redis \
  'd.spec.ingress[0].from = d.spec.ingress[0].from.slice(0, 1)'
expect_reject_js "workers open on every port" NetworkPolicy/stage-worker 'delete d.spec.ingress[0].ports'
expect_reject_js "frontends open on another port" NetworkPolicy/stage-frontend \
  'd.spec.ingress[0].ports.push({protocol: "TCP", port: 8080})'
expect_reject_js "workers no policy selects" NetworkPolicy/stage-worker 'd.spec.podSelector.matchLabels.app = "nobody"'
expect_reject_js "a Service without the http port" Service/stage-frontend \
  'd.spec.ports = d.spec.ports.filter((p) => p.name !== "http")'
expect_reject_js "a Service port to no container port" Service/stage-frontend 'd.spec.ports[1].targetPort = "htp"'
expect_reject_js "no server.public_http_url" ConfigMap/stage-config \
  'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/^ *public_http_url:.*$/m, "")'
expect_reject_js "a loopback server.public_http_url" ConfigMap/stage-config \
  'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/public_http_url:.*/, "public_http_url: http://127.0.0.1:7071")'
expect_reject_js "a public_http_url on the gRPC port" ConfigMap/stage-config \
  'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/public_http_url:.*/, "public_http_url: http://stage-frontend:7070")'
expect_reject_js "a ReadWriteOnce fs volume" PersistentVolumeClaim/stage-data 'd.spec.accessModes = ["ReadWriteOnce"]'
expect_reject_js "the default upload.max_inflight_bytes (1GiB per frontend)" ConfigMap/stage-config \
  'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/^ *max_inflight_bytes:.*$/m, "")'
expect_reject_js "no limit on uploads in flight" ConfigMap/stage-config \
  'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/max_inflight_bytes:.*/, "max_inflight_bytes: 0")'
expect_reject_js "more frontends than Redis holds uploads for" Deployment/stage-frontend 'd.spec.replicas = 5'
expect_reject_js "a frontend HPA beyond Redis' memory" Deployment/stage-frontend \
  'docs.push({apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: {name: "fe"},
    spec: {scaleTargetRef: {apiVersion: "apps/v1", kind: "Deployment", name: "stage-frontend"},
      minReplicas: 2, maxReplicas: 6, metrics: [{type: "Resource",
        resource: {name: "cpu", target: {type: "Utilization", averageUtilization: 70}}}]}})'
expect_reject_js "a smaller Redis maxmemory" StatefulSet/stage-redis \
  'const a = d.spec.template.spec.containers[0].args; a[a.indexOf("--maxmemory") + 1] = "512mb"'
expect_reject_js "a Redis memory limit at maxmemory" StatefulSet/stage-redis \
  'd.spec.template.spec.containers[0].resources.limits.memory = "1Gi"'
expect_reject_js "Redis that evicts" StatefulSet/stage-redis \
  'const a = d.spec.template.spec.containers[0].args; a[a.indexOf("--maxmemory-policy") + 1] = "allkeys-lru"'
expect_reject_js "an HTTPS probe without TLS" Deployment/stage-worker \
  'd.spec.template.spec.containers[0].readinessProbe.httpGet.scheme = "HTTPS"'
expect_reject_js "a liveness probe on /readyz" Deployment/stage-worker \
  'd.spec.template.spec.containers[0].livenessProbe.httpGet.path = "/readyz"'

# The image's binaries and user (deploy/docker/image.conf).
expect_reject_js "a worker command the image does not hold" Deployment/stage-worker \
  'd.spec.template.spec.containers[0].command[0] = "/usr/bin/stage-worker"'
expect_reject_js "frontends as another uid than the image's" Deployment/stage-frontend \
  'd.spec.template.spec.securityContext.runAsUser = 1000'
# Autoscaling: the frontend's HPA (CPU and open streams) and the PDBs.
hfe=HorizontalPodAutoscaler/stage-frontend
expect_reject_js "an HPA on a missing Deployment" $hfe 'd.spec.scaleTargetRef.name = "stage-frontnd"'
expect_reject_js "an HPA with minReplicas > maxReplicas" $hfe 'd.spec.minReplicas = 5'
expect_reject_js "an HPA scaling the frontends to zero" $hfe 'd.spec.minReplicas = 0'
expect_reject_js "an HPA on a metric the frontend does not export" $hfe \
  'd.spec.metrics.find((m) => m.type === "Pods").pods.metric.name = "stage_frontend_open_streams"'
expect_reject_js "an HPA on a worker metric for the frontend" $hfe \
  'd.spec.metrics.find((m) => m.type === "Pods").pods.metric.name = "stage_worker_running_jobs"'
expect_reject_js "an open-streams target at server.max_streams" $hfe \
  'd.spec.metrics.find((m) => m.type === "Pods").pods.target.averageValue = "20000"'
expect_reject_js "two HPAs on the frontend" $hfe \
  'docs.push({...JSON.parse(JSON.stringify(d)), metadata: {name: "stage-frontend-2"}})'
expect_reject_js "an autoscaled frontend without a PDB" PodDisruptionBudget/stage-frontend 'docs.splice(docs.indexOf(d), 1)'
expect_reject_js "a frontend PDB no node drain can meet" PodDisruptionBudget/stage-frontend 'd.spec.minAvailable = 2'
expect_reject_js "a worker HPA with minReplicas > maxReplicas" HorizontalPodAutoscaler/stage-worker 'd.spec.minReplicas = 11'
# The KEDA peer is admitted only where a ScaledObject needs it.
expect_reject_js "KEDA's operator admitted to Redis without KEDA" NetworkPolicy/stage-redis \
  'd.spec.ingress[0].from.push({namespaceSelector: {matchLabels: {"kubernetes.io/metadata.name": "keda"}},
    podSelector: {matchLabels: {app: "keda-operator"}}})'

# The KEDA overlays (workers on the queue), and edits of them.
rendered_keda=$(mktemp)
rendered_kedas=$(mktemp)
trap 'rm -rf "$rendered" "$rendered.mut" "$rendered_keda" "$rendered_kedas" "$js"' EXIT
if kubectl kustomize "$root/deploy/k8s/overlays/keda" >"$rendered_keda" 2>/dev/null; then
  src=$rendered_keda expect_tls=0
  export VALIDATE_EXPECT_KEDA=1
  so=ScaledObject/stage-worker t='d.spec.triggers[0]'
  expect_reject_js "a ScaledObject on a missing Deployment" $so 'd.spec.scaleTargetRef.name = "stage-wrker"'
  expect_reject_js "a ScaledObject on the frontends" $so 'd.spec.scaleTargetRef.name = "stage-frontend"'
  expect_reject_js "a ScaledObject with min > max" $so 'd.spec.minReplicaCount = 11'
  expect_reject_js "a ScaledObject scaling the workers to zero" $so 'd.spec.minReplicaCount = 0'
  expect_reject_js "a ScaledObject with replicas as a string" $so 'd.spec.maxReplicaCount = "ten"'
  expect_reject_js "a trigger on another stream" $so "$t.metadata.stream = 'st:queue'"
  expect_reject_js "a trigger on another consumer group" $so "$t.metadata.consumerGroup = 'worker'"
  expect_reject_js "a trigger on pendingEntriesCount >= worker.concurrency" $so \
    "delete $t.metadata.streamLength; $t.metadata.pendingEntriesCount = '8'"
  expect_reject_js "a trigger with two scaling modes" $so "$t.metadata.lagCount = '5'"
  expect_reject_js "a trigger without a scaling mode" $so "delete $t.metadata.streamLength"
  expect_reject_js "a trigger on Redis' short name (KEDA's namespace)" $so "$t.metadata.address = 'stage-redis:6379'"
  expect_reject_js "a trigger on another namespace's Redis" $so \
    "$t.metadata.address = 'stage-redis.default.svc.cluster.local:6379'"
  expect_reject_js "a trigger on the wrong Redis port" $so "$t.metadata.address = $t.metadata.address.replace(':6379', ':6380')"
  expect_reject_js "a ScaledObject without a namespace" $so 'delete d.metadata.namespace'
  expect_reject_js "a trigger without authenticationRef" $so "delete $t.authenticationRef"
  expect_reject_js "a trigger with a missing TriggerAuthentication" $so "$t.authenticationRef.name = 'stage-rdis'"
  expect_reject_js "KEDA's password from another Secret key" TriggerAuthentication/stage-redis \
    'd.spec.secretTargetRef[0].key = "root-password"'
  expect_reject_js "a trigger of the sentinel kind without sentinels" $so "$t.type = 'redis-sentinel-streams'"
  expect_reject_js "the base's worker HPA kept beside KEDA" $so \
    'docs.push({apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: {name: "stage-worker", namespace: "stage"},
      spec: {scaleTargetRef: {apiVersion: "apps/v1", kind: "Deployment", name: "stage-worker"}, minReplicas: 2, maxReplicas: 10,
        metrics: [{type: "Resource", resource: {name: "cpu", target: {type: "Utilization", averageUtilization: 70}}}]}})'
  expect_reject_js "KEDA without the workers' PDB" PodDisruptionBudget/stage-worker 'docs.splice(docs.indexOf(d), 1)'
  expect_reject_js "Redis closed to KEDA's operator" NetworkPolicy/stage-redis-keda 'docs.splice(docs.indexOf(d), 1)'
  expect_reject_js "KEDA's operator peer from every namespace" NetworkPolicy/stage-redis-keda \
    'd.spec.ingress[0].from[0].namespaceSelector = {}'
  expect_reject_js "KEDA's operator peer as any pod of its namespace" NetworkPolicy/stage-redis-keda \
    'delete d.spec.ingress[0].from[0].podSelector'
  expect_reject_js "KEDA's operator admitted on every port" NetworkPolicy/stage-redis-keda 'delete d.spec.ingress[0].ports'
  expect_reject_js "the keda overlay without its ScaledObject" $so \
    'docs.splice(docs.indexOf(d), 1); docs.splice(docs.findIndex((x) => x.metadata.name === "stage-redis-keda"), 1)'
  src=$rendered
  unset VALIDATE_EXPECT_KEDA
else
  echo "FAIL deploy/k8s/overlays/keda does not render"
  fails=$((fails + 1))
fi
if kubectl kustomize "$root/deploy/k8s/overlays/keda-sentinel" >"$rendered_kedas" 2>/dev/null; then
  src=$rendered_kedas expect_tls=0
  export VALIDATE_EXPECT_KEDA=1 VALIDATE_EXPECT_SENTINEL=1
  so=ScaledObject/stage-worker t='d.spec.triggers[0]'
  expect_reject_js "a redis-streams trigger with sentinels" $so \
    "$t.type = 'redis-streams'; $t.metadata.address = 'stage-redis.stage.svc.cluster.local:6379'"
  expect_reject_js "sentinel addresses missing one" $so \
    "$t.metadata.addresses = $t.metadata.addresses.split(',').slice(0, 2).join(',')"
  expect_reject_js "sentinel addresses on the Redis port" $so "$t.metadata.addresses = $t.metadata.addresses.replaceAll(':26379', ':6379')"
  expect_reject_js "a sentinelMaster the sentinels do not monitor" $so "$t.metadata.sentinelMaster = 'mymaster'"
  expect_reject_js "a sentinel trigger on another stream" $so "$t.metadata.stream = 'st:jobs'"
  expect_reject_js "the sentinels closed to KEDA's operator" NetworkPolicy/stage-redis-sentinel-keda 'docs.splice(docs.indexOf(d), 1)'
  expect_reject_js "the replica closed to KEDA's operator (the primary after a failover)" NetworkPolicy/stage-redis-replica-keda \
    'docs.splice(docs.indexOf(d), 1)'
  expect_reject_js "KEDA's operator admitted to the sentinels on 6379" NetworkPolicy/stage-redis-sentinel-keda \
    'd.spec.ingress[0].ports[0].port = 6379'
  src=$rendered
  unset VALIDATE_EXPECT_KEDA VALIDATE_EXPECT_SENTINEL
else
  echo "FAIL deploy/k8s/overlays/keda-sentinel does not render"
  fails=$((fails + 1))
fi

# The TLS overlay, and edits of it.
rendered_tls=$(mktemp)
trap 'rm -rf "$rendered" "$rendered.mut" "$rendered_keda" "$rendered_kedas" "$rendered_tls" "$js"' EXIT
if kubectl kustomize "$root/deploy/k8s/overlays/tls" >"$rendered_tls" 2>/dev/null; then
  src=$rendered_tls expect_tls=1
  fe=Deployment/stage-frontend c='d.spec.template.spec.containers[0]'
  expect_reject_js "TLS with the gRPC readiness probe" $fe \
    "$c.readinessProbe = {grpc: {port: 7070, service: 'stage.v1.StageService'}, periodSeconds: 5}"
  expect_reject_js "TLS with a plaintext HTTP liveness probe" $fe "$c.livenessProbe.httpGet.scheme = 'HTTP'"
  expect_reject_js "TLS probes on the gRPC port" $fe "$c.readinessProbe.httpGet.port = 7070"
  expect_reject_js "TLS with http:// presigned URLs" $fe \
    "$c.env.find((e) => e.name === 'STAGE_SERVER_PUBLIC_HTTP_URL').value = 'http://stage-frontend:7071'"
  expect_reject_js "a TLS key outside any Secret" $fe \
    "$c.env.find((e) => e.name === 'STAGE_SERVER_TLS_KEY_FILE').value = '/tmp/tls.key'"
  expect_reject_js "a TLS certificate without its key" $fe \
    "$c.env = $c.env.filter((e) => e.name !== 'STAGE_SERVER_TLS_KEY_FILE')"
  expect_reject_js "the TLS overlay without TLS" $fe \
    "$c.env = $c.env.filter((e) => !e.name.startsWith('STAGE_SERVER_TLS_'))"
  src=$rendered expect_tls=0
else
  echo "FAIL deploy/k8s/overlays/tls does not render"
  fails=$((fails + 1))
fi

# The Sentinel overlay, and edits of it.
rendered_sen=$(mktemp)
trap 'rm -rf "$rendered" "$rendered.mut" "$rendered_keda" "$rendered_kedas" "$rendered_tls" "$rendered_sen" "$js"' EXIT
if kubectl kustomize "$root/deploy/k8s/overlays/sentinel" >"$rendered_sen" 2>/dev/null; then
  # Its ConfigMap replaces the base's stage.yaml whole: the rest must stay the base's.
  base_conf=$(node "$js/mutate.mjs" ConfigMap/stage-config \
    'process.stdout.write(JSON.stringify({...yaml.load(d.data["stage.yaml"]), redis: null})); process.exit(0)' <"$rendered")
  sen_conf=$(node "$js/mutate.mjs" ConfigMap/stage-config \
    'process.stdout.write(JSON.stringify({...yaml.load(d.data["stage.yaml"]), redis: null})); process.exit(0)' <"$rendered_sen")
  if [ "$base_conf" = "$sen_conf" ] && [ -n "$base_conf" ]; then
    echo "ok   deploy/k8s/overlays/sentinel: stage.yaml is the base's but for redis:"
  else
    echo "FAIL deploy/k8s/overlays/sentinel: stage.yaml differs from the base's outside redis: ($sen_conf vs $base_conf)"
    fails=$((fails + 1))
  fi
  src=$rendered_sen expect_tls=0
  export VALIDATE_EXPECT_SENTINEL=1
  cm=ConfigMap/stage-config ss=StatefulSet/stage-redis-sentinel scm=ConfigMap/stage-redis-sentinel
  rep=StatefulSet/stage-redis-replica c='d.spec.template.spec.containers[0]'
  expect_reject_js "two sentinels" $ss 'd.spec.replicas = 2'
  expect_reject_js "four sentinels (an even number)" $ss 'd.spec.replicas = 4'
  expect_reject_js "a sentinel list missing one" $cm \
    'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/^ *- stage-redis-sentinel-2\..*\n/m, "")'
  expect_reject_js "a sentinel list on the wrong port" $cm \
    'd.data["stage.yaml"] = d.data["stage.yaml"].replaceAll(":26379", ":6379")'
  expect_reject_js "the overlay without redis.sentinels" $cm \
    'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/^ *sentinels:\n( *- .*\n)+/m, "").replace(/^ *master_name:.*\n/m, "")'
  expect_reject_js "a master_name the sentinels do not monitor" $cm \
    'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/master_name: .*/, "master_name: mymaster")'
  expect_reject_js "sentinels monitoring the replica" $scm \
    'd.data["sentinel.conf"] = d.data["sentinel.conf"].replace("stage-redis-0.stage-redis", "stage-redis-replica-0.stage-redis-replica")'
  # shellcheck disable=SC2016 # the regular expression's $1, not the shell's
  expect_reject_js "a quorum of one" $scm \
    'd.data["sentinel.conf"] = d.data["sentinel.conf"].replace(/(monitor stage \S+ 6379) 2/, "$1 1")'
  expect_reject_js "sentinel auth-pass from another Secret key" $ss \
    "$c.env[0].valueFrom.secretKeyRef.key = 'root-password'"
  expect_reject_js "sentinels without auth-pass" $ss \
    "$c.command[2] = $c.command[2].replace(/ *echo .*auth-pass.*\n/, '')"
  expect_reject_js "a password in the sentinel ConfigMap" $scm \
    'd.data["sentinel.conf"] += "sentinel auth-pass stage hunter2\n"'
  expect_reject_js "a replica of another primary" $rep \
    "$c.args[$c.args.indexOf('--replicaof') + 1] = 'stage-redis-replica-0.stage-redis-replica'"
  expect_reject_js "a replica without --masterauth" $rep \
    "$c.args.splice($c.args.indexOf('--masterauth'), 2)"
  expect_reject_js "a primary without --masterauth" StatefulSet/stage-redis \
    "$c.args.splice($c.args.indexOf('--masterauth'), 2)"
  expect_reject_js "no replica" $rep \
    'docs.splice(0, docs.length, ...docs.filter((x) => !x.metadata.name.startsWith("stage-redis-replica")));
     for (const np of docs.filter((x) => x.kind === "NetworkPolicy")) for (const r of np.spec.ingress)
       r.from = r.from?.filter((p) => p.podSelector.matchLabels.app !== "stage-redis-replica")'
  expect_reject_js "sentinels that cannot reach the primary" NetworkPolicy/stage-redis \
    'd.spec.ingress[0].from = d.spec.ingress[0].from.filter((p) => p.podSelector.matchLabels.app !== "stage-redis-sentinel")'
  expect_reject_js "a replica the primary cannot replicate from after a failover" NetworkPolicy/stage-redis-replica \
    'd.spec.ingress[0].from = d.spec.ingress[0].from.filter((p) => p.podSelector.matchLabels.app !== "stage-redis")'
  expect_reject_js "workers that cannot reach the sentinels" NetworkPolicy/stage-redis-sentinel \
    'd.spec.ingress[0].from = d.spec.ingress[0].from.filter((p) => p.podSelector.matchLabels.app !== "stage-worker")'
  expect_reject_js "sentinels reachable from any pod" NetworkPolicy/stage-redis-sentinel 'delete d.spec.ingress[0].from'
  expect_reject_js "sentinels open on another port" NetworkPolicy/stage-redis-sentinel \
    'd.spec.ingress[0].ports.push({protocol: "TCP", port: 6379})'
  expect_reject_js "sentinels reachable from other namespaces" NetworkPolicy/stage-redis-sentinel \
    'd.spec.ingress[0].from.push({namespaceSelector: {}})'
  expect_reject_js "sentinels no policy selects" NetworkPolicy/stage-redis-sentinel \
    'd.spec.podSelector.matchLabels.app = "nobody"'
  # ... also where the overlay is not expected (nobody would ask the sentinels).
  VALIDATE_EXPECT_SENTINEL=0 expect_reject_js "sentinels without redis.sentinels" $cm \
    'd.data["stage.yaml"] = d.data["stage.yaml"].replace(/^ *sentinels:\n( *- .*\n)+/m, "").replace(/^ *master_name:.*\n/m, "")'
  unset VALIDATE_EXPECT_SENTINEL
  src=$rendered expect_tls=0
else
  echo "FAIL deploy/k8s/overlays/sentinel does not render"
  fails=$((fails + 1))
fi

echo "validate: ${rendered_ok} kustomizations valid, ${rejected} broken variants rejected"
[ $fails -eq 0 ] && echo "validate: all manifests valid" || echo "validate: $fails problem(s)"
exit $((fails > 0))
