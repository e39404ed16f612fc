// validate.mjs - validate rendered Kubernetes manifests offline.
// Reads a multi-document YAML stream (`kubectl kustomize DIR`) on stdin.
//  1. every document against its API schema (npm kubernetes-models);
//  2. a strict pass for typos the schemas let through (unknown keys in pods,
//     containers and probes);
//  3. the project's own rules: probes, limits, non-root, grace period vs.
//     drain time, references between objects (volumes, selectors, HPA target).
// Prints one line per problem and exits 1 if there is any.
import yaml from 'js-yaml';
import { readFileSync } from 'node:fs';

const docs = yaml.loadAll(readFileSync(0, 'utf8')).filter(Boolean);
const problems = [];
const bad = (d, msg) => problems.push(`${d.kind}/${d.metadata?.name}: ${msg}`);

const groupPath = (apiVersion) =>
  apiVersion.includes('/') ? apiVersion : `v1`; // core group: kubernetes-models/v1

async function schemaCheck(d) {
  let mod;
  try {
    mod = await import(`kubernetes-models/${groupPath(d.apiVersion)}`);
  } catch (e) {
    return bad(d, `unknown apiVersion ${d.apiVersion}`);
  }
  const Cls = mod[d.kind];
  if (!Cls) return bad(d, `unknown kind in ${d.apiVersion}`);
  try {
    new Cls(d).validate();
  } catch (e) {
    bad(d, `schema: ${e.message.split('\n').slice(0, 3).join(' ')}`);
  }
}

const KNOWN = {
  pod: ['containers', 'initContainers', 'volumes', 'securityContext', 'terminationGracePeriodSeconds',
    'serviceAccountName', 'affinity', 'tolerations', 'nodeSelector', 'topologySpreadConstraints',
    'priorityClassName', 'imagePullSecrets', 'enableServiceLinks', 'automountServiceAccountToken'],
  container: ['name', 'image', 'command', 'args', 'env', 'envFrom', 'ports', 'readinessProbe',
    'livenessProbe', 'startupProbe', 'resources', 'securityContext', 'volumeMounts',
    'imagePullPolicy', 'lifecycle', 'workingDir'],
  probe: ['grpc', 'httpGet', 'exec', 'tcpSocket', 'periodSeconds', 'failureThreshold',
    'initialDelaySeconds', 'timeoutSeconds', 'successThreshold', 'terminationGracePeriodSeconds'],
};

function strict(d, obj, kind, where) {
  for (const k of Object.keys(obj || {}))
    if (!KNOWN[kind].includes(k)) bad(d, `${where}: unknown key '${k}'`);
}

const podSpecs = (d) => (d.spec?.template?.spec ? [d.spec.template.spec] : []);
const labelsMatch = (sel, labels) =>
  Object.entries(sel || {}).every(([k, v]) => labels?.[k] === v);
const byKind = (k) => docs.filter((d) => d.kind === k);
const workloads = () => docs.filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind));

function projectRules(d) {
  for (const ps of podSpecs(d)) {
    strict(d, ps, 'pod', 'pod spec');
    if (!ps.securityContext?.runAsNonRoot) bad(d, 'pod must set securityContext.runAsNonRoot');
    if (!(ps.terminationGracePeriodSeconds > 0)) bad(d, 'pod must set terminationGracePeriodSeconds');
    const vols = new Set([...(ps.volumes || []), ...(d.spec.volumeClaimTemplates || []).map((t) => t.metadata)]
      .map((v) => v.name));
    for (const c of ps.containers || []) {
      const w = `container ${c.name}`;
      strict(d, c, 'container', w);
      for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe'])
        if (c[p]) strict(d, c[p], 'probe', `${w} ${p}`);
      if (!c.resources?.limits?.memory) bad(d, `${w}: no memory limit`);
      if (!c.resources?.requests?.cpu) bad(d, `${w}: no cpu request`);
      if (c.securityContext?.allowPrivilegeEscalation !== false)
        bad(d, `${w}: allowPrivilegeEscalation must be false`);
      if (!c.livenessProbe || !c.readinessProbe) bad(d, `${w}: needs liveness and readiness probes`);
      for (const m of c.volumeMounts || [])
        if (!vols.has(m.name)) bad(d, `${w}: mounts undefined volume '${m.name}'`);
    }
    for (const v of ps.volumes || []) {
      const cm = v.configMap?.name;
      if (cm && !byKind('ConfigMap').some((x) => x.metadata.name === cm))
        bad(d, `volume ${v.name}: ConfigMap '${cm}' is not in the manifests`);
      const pvc = v.persistentVolumeClaim?.claimName;
      if (pvc && !byKind('PersistentVolumeClaim').some((x) => x.metadata.name === pvc))
        bad(d, `volume ${v.name}: PVC '${pvc}' is not in the manifests`);
    }
  }
  if (['Deployment', 'StatefulSet'].includes(d.kind) &&
      !labelsMatch(d.spec.selector?.matchLabels, d.spec.template?.metadata?.labels))
    bad(d, 'selector does not match the pod template labels');
  if (['Service', 'PodDisruptionBudget'].includes(d.kind)) {
    const sel = d.kind === 'Service' ? d.spec.selector : d.spec.selector?.matchLabels;
    if (!workloads().some((w) => labelsMatch(sel, w.spec.template?.metadata?.labels)))
      bad(d, 'selector matches no workload');
  }
  if (d.kind === 'HorizontalPodAutoscaler') {
    const t = d.spec.scaleTargetRef;
    if (!docs.some((x) => x.kind === t.kind && x.metadata.name === t.name))
      bad(d, `scale target ${t.kind}/${t.name} is not in the manifests`);
  }
}

// The grace period must cover the drain time the config gives the process.
function drainRules() {
  for (const cm of byKind('ConfigMap')) {
    const conf = cm.data?.['stage.yaml'] ? yaml.load(cm.data['stage.yaml']) : null;
    if (!conf) continue;
    const drains = {
      'stage-frontend': conf.server?.drain_timeout_s,
      'stage-worker': conf.worker?.drain_timeout_s,
    };
    for (const [name, drain] of Object.entries(drains)) {
      const w = workloads().find((x) => x.metadata.name === name);
      if (!w || drain === undefined) continue;
      const grace = w.spec.template.spec.terminationGracePeriodSeconds;
      if (!(grace > drain)) bad(w, `terminationGracePeriodSeconds ${grace} <= drain timeout ${drain}`);
    }
  }
}

// ---- Redis' password (requirepass from a Secret) and the stage pods' copy of it.
const containers = (w) => w.spec?.template?.spec?.containers || [];
const envVar = (c, name) => (c.env || []).find((e) => e.name === name);
const secretKey = (e) => {
  const r = e?.valueFrom?.secretKeyRef;
  return r ? `${r.name}/${r.key}` : null;
};
// The Secret key a file path inside a container comes from (a secret volume), or null.
function fileSecretKey(ps, c, path) {
  for (const m of c.volumeMounts || []) {
    const dir = m.mountPath.replace(/\/+$/, '');
    if (!path.startsWith(dir + '/')) continue;
    const v = (ps.volumes || []).find((x) => x.name === m.name);
    if (!v?.secret) continue;
    const rel = path.slice(dir.length + 1);
    const items = v.secret.items;
    const key = items ? items.find((i) => i.path === rel)?.key : rel;
    return key ? `${v.secret.secretName}/${key}` : null;
  }
  return null;
}
const isRedis = (c) => /^(.*\/)?redis(:|@|$)/.test(c.image || '') &&
  !`${c.command || ''} ${c.args || ''}`.includes('sentinel');
const STAGE_WORKLOADS = ['stage-frontend', 'stage-worker'];

function redisPasswordRules() {
  const redisKeys = new Set();
  for (const w of workloads()) {
    for (const c of containers(w).filter(isRedis)) {
      const args = c.args || [];
      const i = args.indexOf('--requirepass');
      const ref = i >= 0 ? /^\$\((\w+)\)$/.exec(args[i + 1] || '') : null;
      if (!ref) {
        bad(w, `container ${c.name}: Redis without --requirepass $(VAR) (a password from a Secret)`);
        continue;
      }
      const key = secretKey(envVar(c, ref[1]));
      if (!key) {
        bad(w, `container ${c.name}: --requirepass $(${ref[1]}): ${ref[1]} is not an env var from a secretKeyRef`);
        continue;
      }
      redisKeys.add(key);
      for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const cmd = (c[p]?.exec?.command || []).join(' ');
        if (cmd.includes('redis-cli') && secretKey(envVar(c, 'REDISCLI_AUTH')) !== key)
          bad(w, `container ${c.name}: ${p} runs redis-cli without REDISCLI_AUTH from ${key}`);
      }
      if (!(c.readinessProbe?.exec?.command || []).join(' ').includes('redis-cli'))
        bad(w, `container ${c.name}: readinessProbe must be an authenticated redis-cli ping`);
    }
  }
  if (redisKeys.size === 0) {
    problems.push('no Redis container (image redis:...) with a password in the manifests');
    return;
  }
  for (const name of STAGE_WORKLOADS) {
    const w = workloads().find((x) => x.metadata.name === name);
    if (!w) continue;
    const ps = w.spec.template.spec;
    for (const c of ps.containers || []) {
      const file = envVar(c, 'STAGE_REDIS_PASSWORD_FILE')?.value;
      const key = file ? fileSecretKey(ps, c, file) : secretKey(envVar(c, 'STAGE_REDIS_PASSWORD'));
      if (!key)
        bad(w, `container ${c.name}: no Redis password: STAGE_REDIS_PASSWORD_FILE (a mounted Secret key) or STAGE_REDIS_PASSWORD (secretKeyRef)`);
      else if (!redisKeys.has(key))
        bad(w, `container ${c.name}: Redis password from ${key}, Redis requires ${[...redisKeys].join(', ')}`);
    }
  }
}

if (docs.length === 0) problems.push('no documents on stdin');
for (const d of docs) {
  await schemaCheck(d);
  projectRules(d);
}
drainRules();
redisPasswordRules();
const kinds = docs.map((d) => d.kind).join(' ');
if (problems.length) {
  for (const p of problems) console.log(`  FAIL ${p}`);
  process.exit(1);
}
console.log(`  ok: ${docs.length} documents (${kinds})`);
