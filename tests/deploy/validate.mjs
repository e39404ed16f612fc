// validate.mjs - validate rendered Kubernetes manifests offline.
// Reads a multi-document YAML stream (`kubectl kustomize DIR`) on stdin.
//  1. every document against its API schema (npm kubernetes-models);
//  2. a strict pass for typos the schemas let through (unknown keys in pods,
//     containers and probes);
//  3. the project's own rules: probes, limits, non-root, grace period vs.
//     drain time, references between objects (volumes, selectors, HPA target),
//     autoscaling (HPAs and KEDA ScaledObjects: targets, bounds, metrics the
//     processes export, the queue's stream and group, PDBs).
// Prints one line per problem and exits 1 if there is any.
import yaml from 'js-yaml';
import { readFileSync } from 'node:fs';

const docs = yaml.loadAll(readFileSync(0, 'utf8')).filter(Boolean);
const problems = [];
const bad = (d, msg) => problems.push(`${d.kind}/${d.metadata?.name}: ${msg}`);

const groupPath = (apiVersion) =>
  apiVersion.includes('/') ? apiVersion : `v1`; // core group: kubernetes-models/v1

// CRDs the core models do not know: their own packages.
const CRD_MODELS = { 'keda.sh/': '@kubernetes-models/keda/' };
const modelPath = (apiVersion) => {
  const crd = Object.keys(CRD_MODELS).find((g) => apiVersion.startsWith(g));
  return crd ? `${CRD_MODELS[crd]}${apiVersion}` : `kubernetes-models/${groupPath(apiVersion)}`;
};

async function schemaCheck(d) {
  let mod;
  try {
    mod = await import(modelPath(d.apiVersion));
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
const isSentinel = (c) => /^(.*\/)?redis(:|@|$)/.test(c.image || '') && !isRedis(c);
const STAGE_WORKLOADS = ['stage-frontend', 'stage-worker'];
const redisWorkloads = () => workloads().filter((w) => containers(w).some(isRedis));
const sentinelWorkloads = () => workloads().filter((w) => containers(w).some(isSentinel));
// The Secret keys Redis' --requirepass comes from (redisPasswordRules reports
// a Redis without one).
function redisPasswordKeys() {
  const keys = new Set();
  for (const w of redisWorkloads())
    for (const c of containers(w).filter(isRedis)) {
      const ref = /^\$\((\w+)\)$/.exec(argOf(c, '--requirepass') || '');
      const key = ref && secretKey(envVar(c, ref[1]));
      if (key) keys.add(key);
    }
  return keys;
}

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

// ---- The stage configuration a workload runs with: its stage.yaml, then env.
const workload = (name) => workloads().find((x) => x.metadata.name === name);
function stageConfig(w) {
  for (const v of w.spec.template.spec.volumes || []) {
    const cm = byKind('ConfigMap').find((x) => x.metadata.name === v.configMap?.name);
    if (cm?.data?.['stage.yaml']) return yaml.load(cm.data['stage.yaml']) || {};
  }
  return {};
}
// A key's value for a container: STAGE_<PATH> in env wins over the file.
function setting(w, c, path) {
  const env = envVar(c, 'STAGE_' + path.toUpperCase().replace(/\./g, '_'));
  if (env && (env.value !== undefined || env.valueFrom)) return env.value ?? '<from env>';
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), stageConfig(w));
}
const tlsOn = (w, c) => !!setting(w, c, 'server.tls_cert_file');
// redis.sentinels of a stage container as a list of host:port (port 26379 by default).
const sentinelList = (w, c) => {
  const v = setting(w, c, 'redis.sentinels');
  if (!v) return [];
  return (Array.isArray(v) ? v.map(String) : String(v).split(/[\s,]+/)).filter(Boolean)
    .map((a) => (/:\d+$/.test(a) ? a : `${a}:26379`));
};
const sentinelMode = () => STAGE_WORKLOADS.map(workload).filter(Boolean)
  .some((w) => containers(w).some((c) => sentinelList(w, c).length));

// ---- Services: every port reaches a container port; the frontend's has grpc and http.
const podsOf = (sel) => workloads().filter((w) => labelsMatch(sel, w.spec.template?.metadata?.labels));
const containerPort = (w, p) => containers(w).flatMap((c) => c.ports || [])
  .find((cp) => cp.containerPort === p || (typeof p === 'string' && cp.name === p));
function serviceRules() {
  for (const svc of byKind('Service')) {
    for (const p of svc.spec.ports || []) {
      const target = p.targetPort ?? p.port;
      for (const w of podsOf(svc.spec.selector))
        if (!containerPort(w, target))
          bad(svc, `port ${p.name || p.port}: targetPort ${target} is no container port of ${w.metadata.name}`);
    }
  }
  const svc = byKind('Service').find((x) => x.metadata.name === 'stage-frontend');
  const fe = workload('stage-frontend');
  if (!svc || !fe) return;
  for (const [name, port] of [['grpc', 7070], ['http', 7071]]) {
    const p = (svc.spec.ports || []).find((x) => x.name === name);
    const cp = p && containerPort(fe, p.targetPort ?? p.port);
    if (!p || !cp || cp.containerPort !== port)
      bad(svc, `needs a port named ${name} to the frontend's ${port}`);
  }
}

// ---- server.public_http_url: where clients reach presigned fs URLs.
function publicUrlRules() {
  const fe = workload('stage-frontend');
  if (!fe) return;
  for (const c of containers(fe)) {
    const url = setting(fe, c, 'server.public_http_url');
    if (!url) {
      bad(fe, `container ${c.name}: server.public_http_url is not set: presigned fs URLs would point at 127.0.0.1`);
      continue;
    }
    let u;
    try { u = new URL(url); } catch { bad(fe, `server.public_http_url '${url}' is not a URL`); continue; }
    if (!['http:', 'https:'].includes(u.protocol))
      bad(fe, `server.public_http_url '${url}': http:// or https:// only`);
    if (/^(localhost|127\.|0\.0\.0\.0$|\[::1?\]$)/.test(u.hostname))
      bad(fe, `server.public_http_url '${url}' is not an address clients reach`);
    if (tlsOn(fe, c) && u.protocol !== 'https:')
      bad(fe, `container ${c.name}: TLS is on but server.public_http_url '${url}' is not https://`);
    // The frontend Service by name: its port must lead to the HTTP listener.
    const svc = byKind('Service').find((x) => x.metadata.name === u.hostname.split('.')[0] &&
      labelsMatch(x.spec.selector, fe.spec.template.metadata.labels));
    if (svc) {
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      const sp = (svc.spec.ports || []).find((x) => x.port === port);
      const cp = sp && containerPort(fe, sp.targetPort ?? sp.port);
      if (!cp || cp.name !== 'http')
        bad(fe, `server.public_http_url '${url}': Service ${svc.metadata.name} port ${port} does not lead to the HTTP port`);
    }
  }
}

// ---- The fs backend's volume: every worker pod writes it, on any node.
function dataVolumeRules() {
  const w = workload('stage-worker');
  if (!w) return;
  const ps = w.spec.template.spec;
  for (const c of containers(w)) {
    if ((setting(w, c, 'storage.type') || 'fs') !== 'fs') continue;
    const root = setting(w, c, 'storage.fs.root') || './data';
    const m = (c.volumeMounts || []).find((x) => root === x.mountPath || root.startsWith(x.mountPath.replace(/\/+$/, '') + '/'));
    const v = m && (ps.volumes || []).find((x) => x.name === m.name);
    const claim = v?.persistentVolumeClaim &&
      byKind('PersistentVolumeClaim').find((x) => x.metadata.name === v.persistentVolumeClaim.claimName);
    if (!claim)
      bad(w, `container ${c.name}: storage.fs.root ${root} is not on a PersistentVolumeClaim of the manifests`);
    else if (!(claim.spec.accessModes || []).includes('ReadWriteMany'))
      bad(claim, 'the fs backend is shared by every worker pod: accessModes must include ReadWriteMany');
  }
}

// ---- NetworkPolicies: Redis only from frontends and workers; the stage pods
// only on their ports.
const selects = (np, w) => labelsMatch(np.spec.podSelector?.matchLabels, w.spec.template?.metadata?.labels) &&
  !np.spec.podSelector?.matchExpressions;
const ingressOn = (np) => (np.spec.policyTypes || ['Ingress']).includes('Ingress');
// Ingress of workload w (its policies' rules): only from pods of this namespace
// that `peers` names, each of which it must admit, on `ports` only.
function closedTo(w, rules, what, ports, peers) {
  const name = w.metadata.name;
  const portsOf = (r) => (r.ports || []).map((p) => p.port);
  for (const { np, r } of rules) {
    const from = r.from || [];
    if (from.length === 0) bad(np, `${name}: an ingress rule without 'from' admits any pod to ${what}`);
    for (const peer of from) {
      if (kedaPeer(peer) && kedaReaches().includes(name)) continue; // KEDA's operator: kedaRules
      if (peer.namespaceSelector || peer.ipBlock || !peer.podSelector)
        bad(np, `${name}: ${what} admits more than this namespace's stage pods (${JSON.stringify(peer)})`);
      else if (peer.podSelector.matchExpressions || !Object.keys(peer.podSelector.matchLabels || {}).length)
        bad(np, `${name}: a podSelector without matchLabels admits every pod to ${what}`);
      else {
        const others = podsOf(peer.podSelector.matchLabels).map((x) => x.metadata.name)
          .filter((x) => !peers.includes(x));
        if (others.length) bad(np, `${name}: ${what} admits ${others.join(', ')}`);
      }
    }
    const got = portsOf(r);
    if (got.length === 0 || got.some((p) => !ports.includes(p)))
      bad(np, `${name}: ${what} ingress must be port ${ports[0]} only (got ${got.join(', ') || 'all ports'})`);
  }
  for (const client of peers.map(workload).filter(Boolean)) {
    const ok = rules.some(({ r }) => (r.from || []).some((peer) => peer.podSelector && !peer.namespaceSelector &&
      labelsMatch(peer.podSelector.matchLabels, client.spec.template.metadata.labels)) &&
      portsOf(r).some((p) => ports.includes(p)));
    if (!ok) bad(w, `NetworkPolicy: ${client.metadata.name} cannot reach ${what} on ${ports[0]}`);
  }
}
function policyRules() {
  const nps = byKind('NetworkPolicy');
  for (const w of workloads()) {
    const mine = nps.filter((np) => selects(np, w) && ingressOn(np));
    if (mine.length === 0) {
      bad(w, 'no NetworkPolicy selects its pods (ingress would be open)');
      continue;
    }
    const rules = mine.flatMap((np) => (np.spec.ingress || []).map((r) => ({ np, r })));
    const portsOf = (r) => (r.ports || []).map((p) => p.port);
    const name = w.metadata.name;
    if (containers(w).some(isRedis)) {
      // With sentinels, the sentinels and the other Redis (replication, both
      // ways after a failover) reach it too.
      const peers = [...STAGE_WORKLOADS, ...(sentinelMode() ? [...sentinelWorkloads(), ...redisWorkloads()]
        .map((x) => x.metadata.name).filter((x) => x !== name) : [])];
      closedTo(w, rules, 'Redis', [6379, 'redis'], peers);
    } else if (containers(w).some(isSentinel)) {
      closedTo(w, rules, 'the sentinels', [26379, 'sentinel'], [...STAGE_WORKLOADS, name]);
    } else if (STAGE_WORKLOADS.includes(name)) {
      const allowed = name === 'stage-frontend' ? [7070, 7071, 'grpc', 'http'] : [7071, 'http'];
      const needed = name === 'stage-frontend' ? [7070, 7071] : [7071];
      for (const { np, r } of rules) {
        const ports = portsOf(r);
        if (ports.length === 0 || ports.some((p) => !allowed.includes(p)))
          bad(np, `${name}: ingress must be on ports ${needed.join(', ')} only (got ${ports.join(', ') || 'all ports'})`);
      }
      for (const p of needed)
        if (!rules.some(({ r }) => portsOf(r).includes(p)))
          bad(w, `NetworkPolicy: nothing may reach port ${p}`);
    }
  }
}

// ---- Sentinel (overlays/sentinel): a primary, replicas of it, an odd number
// (>= 3) of sentinels that monitor it under redis.master_name and know the
// password, and redis.sentinels naming exactly those sentinels.
// The workload and ordinal a pod DNS name <statefulset>-<i>.<headless service>[.ns...]
// stands for, or null.
function podByName(host) {
  const m = /^([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)(\..*)?$/.exec(host);
  if (!m) return null;
  const w = workloads().find((x) => x.kind === 'StatefulSet' && x.metadata.name === m[1]);
  const svc = byKind('Service').find((x) => x.metadata.name === m[3]);
  if (!w || !svc || w.spec.serviceName !== m[3] || svc.spec.clusterIP !== 'None' ||
      !labelsMatch(svc.spec.selector, w.spec.template.metadata.labels) || Number(m[2]) >= (w.spec.replicas ?? 1))
    return null;
  return { w, ordinal: Number(m[2]), svc };
}
// A "$VAR", "${VAR}" or "$(VAR)" reference at the start of s: VAR, or null.
const varRef = (s) => /^\$(?:\((\w+)\)|\{(\w+)\}|(\w+))/.exec(s || '')?.slice(1).find(Boolean) ?? null;
function sentinelRules() {
  const sentinels = sentinelWorkloads();
  if (!sentinelMode()) {
    if (process.env.VALIDATE_EXPECT_SENTINEL === '1')
      problems.push('this overlay must set redis.sentinels and redis.master_name');
    for (const w of sentinels) bad(w, 'runs sentinels, but redis.sentinels is not set: nobody asks them');
    return;
  }
  if (sentinels.length !== 1) {
    problems.push(`redis.sentinels is set: expected one sentinel workload, got ${sentinels.length}`);
    return;
  }
  const sw = sentinels[0];
  const n = sw.spec.replicas ?? 1;
  if (sw.kind !== 'StatefulSet') bad(sw, 'sentinels must be a StatefulSet (stable names for redis.sentinels)');
  if (!(n >= 3 && n % 2 === 1)) bad(sw, `${n} sentinel(s): at least three, an odd number (a majority must survive one loss)`);
  // redis.sentinels: each sentinel pod by its name in the headless Service.
  const svc = byKind('Service').find((x) => x.metadata.name === sw.spec.serviceName &&
    labelsMatch(x.spec.selector, sw.spec.template.metadata.labels));
  const sp = svc && (svc.spec.ports || []).find((p) => containerPort(sw, p.targetPort ?? p.port)?.containerPort === 26379);
  if (!svc || svc.spec.clusterIP !== 'None' || !sp) {
    bad(sw, `serviceName ${sw.spec.serviceName}: needs a headless Service selecting the sentinels with port 26379`);
    return;
  }
  const want = [...Array(n).keys()].map((i) => `${sw.metadata.name}-${i}.${svc.metadata.name}:${sp.port}`).sort();
  const masterNames = new Set();
  for (const w of STAGE_WORKLOADS.map(workload).filter(Boolean))
    for (const c of containers(w)) {
      const got = sentinelList(w, c).map((a) => a.replace(/^([^.:]+\.[^.:]+)\.[^:]*/, '$1')).sort();
      if (got.join(' ') !== want.join(' '))
        bad(w, `container ${c.name}: redis.sentinels [${got.join(', ')}] is not the sentinels of Service ${svc.metadata.name} [${want.join(', ')}]`);
      const mn = setting(w, c, 'redis.master_name');
      if (!mn) bad(w, `container ${c.name}: redis.sentinels without redis.master_name`);
      else masterNames.add(String(mn));
    }
  if (masterNames.size !== 1) bad(sw, `frontends and workers disagree on redis.master_name (${[...masterNames].join(', ')})`);
  const master = [...masterNames][0];
  // The sentinel's configuration: a file of a mounted ConfigMap.
  const keys = redisPasswordKeys();
  for (const c of containers(sw).filter(isSentinel)) {
    const where = `container ${c.name}`;
    const cmd = [...(c.command || []), ...(c.args || [])].join(' ');
    const confs = (c.volumeMounts || []).flatMap((m) => {
      const v = (sw.spec.template.spec.volumes || []).find((x) => x.name === m.name);
      const cm = v?.configMap && byKind('ConfigMap').find((x) => x.metadata.name === v.configMap.name);
      return Object.entries(cm?.data || {}).filter(([k]) => cmd.includes(`${m.mountPath.replace(/\/+$/, '')}/${k}`))
        .map(([, text]) => text);
    });
    if (confs.length !== 1) {
      bad(sw, `${where}: the sentinel's configuration must be one file of a mounted ConfigMap (found ${confs.length})`);
      continue;
    }
    const lines = confs[0].split('\n').map((l) => l.trim().split(/\s+/)).filter((l) => l[0] && !l[0].startsWith('#'));
    const monitors = lines.filter((l) => l[0] === 'sentinel' && l[1] === 'monitor');
    if (monitors.length !== 1 || monitors[0][2] !== master) {
      bad(sw, `${where}: needs one 'sentinel monitor ${master} <primary> 6379 <quorum>' (redis.master_name), got ${monitors.map((l) => l[2]).join(', ') || 'none'}`);
      continue;
    }
    const [, , , host, port, quorum] = monitors[0];
    if (!(Number(quorum) > n / 2 && Number(quorum) <= n))
      bad(sw, `${where}: quorum ${quorum} of ${n} sentinels: must be a majority`);
    if (!/^[\d.]+$/.test(host) && !lines.some((l) => l[0] === 'sentinel' && l[1] === 'resolve-hostnames' && l[2] === 'yes'))
      bad(sw, `${where}: monitors host name ${host} without 'sentinel resolve-hostnames yes'`);
    const primary = podByName(host);
    if (!primary || !containers(primary.w).some(isRedis) || Number(port) !== 6379 ||
        containers(primary.w).some((x) => argOf(x, '--replicaof') !== undefined))
      bad(sw, `${where}: monitors ${host}:${port}, not the pod of a Redis primary (StatefulSet + headless Service, no --replicaof)`);
    if (lines.some((l) => l[1] === 'auth-pass'))
      bad(sw, `${where}: a password in the ConfigMap: add 'sentinel auth-pass' at start from the Secret`);
    // `sentinel auth-pass <name> $VAR` written at start, VAR from Redis' Secret key.
    const ap = new RegExp(`sentinel auth-pass ${master} (\\S+)`).exec(cmd);
    const v = ap && varRef(ap[1].replace(/^["']/, ''));
    const key = v && secretKey(envVar(c, v));
    if (!key || !keys.has(key))
      bad(sw, `${where}: no 'sentinel auth-pass ${master} $VAR' with VAR from Redis' Secret key (${[...keys].join(', ')}); got ${ap ? ap[1] + ' (' + (key || 'no secretKeyRef') + ')' : 'none'}`);
    // The replicas: every other Redis replicates the monitored primary, with the password.
    const redis = redisWorkloads();
    const replicas = redis.filter((w) => primary && w !== primary.w);
    if (primary && replicas.length === 0) bad(sw, 'no Redis replica: the sentinels would have nothing to promote');
    for (const w of redis)
      for (const rc of containers(w).filter(isRedis)) {
        const mv = varRef(argOf(rc, '--masterauth'));
        if (!mv || !keys.has(secretKey(envVar(rc, mv))))
          bad(w, `container ${rc.name}: no --masterauth $(VAR) from Redis' Secret key (a replica, or a primary after a failover, authenticates to its primary)`);
      }
    for (const w of replicas)
      for (const rc of containers(w).filter(isRedis)) {
        const a = rc.args || [];
        const i = a.indexOf('--replicaof');
        const [h, p] = i >= 0 ? (a[i + 2] !== undefined && !String(a[i + 2]).startsWith('--') ? [a[i + 1], a[i + 2]] : String(a[i + 1]).split(/\s+/)) : [];
        const to = h && podByName(h);
        if (!to || to.w !== primary.w || to.ordinal !== primary.ordinal || Number(p) !== 6379)
          bad(w, `container ${rc.name}: --replicaof ${h ?? '(none)'} ${p ?? ''} is not the primary the sentinels monitor (${host} 6379)`);
      }
  }
}

// ---- Memory: what the frontends may put in Redis against Redis' maxmemory.
const INFLIGHT_SHARE = 0.5; // of maxmemory, for uploads in flight; the rest: jobs, downloads
const LIMIT_MARGIN = 1.25; // the container's memory limit over maxmemory (AOF rewrite fork, buffers)
// stage.yaml sizes: binary suffixes, KB = KiB (common/config.c).
function stageSize(v) {
  const m = /^(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)$/i.exec(String(v).trim());
  if (!m) return NaN;
  return Number(m[1]) * 1024 ** ({ '': 0, b: 0, k: 1, m: 2, g: 3 }[m[2].toLowerCase()[0] || '']);
}
// redis.conf sizes: 1k = 1000, 1kb = 1024 (redis.conf's header).
function redisSize(v) {
  const m = /^(\d+)(|k|kb|m|mb|g|gb)$/i.exec(String(v).trim());
  if (!m) return NaN;
  const u = m[2].toLowerCase();
  const pow = { '': 0, k: 1, m: 2, g: 3 }[u[0] || ''];
  return Number(m[1]) * (u.endsWith('b') ? 1024 : 1000) ** pow;
}
// Kubernetes quantities (memory).
function quantity(v) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(String(v).trim());
  if (!m) return NaN;
  const f = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return Number(m[1]) * f[m[2]];
}
const argOf = (c, flag) => {
  const a = c.args || [];
  const i = a.indexOf(flag);
  return i >= 0 ? a[i + 1] : undefined;
};
const mib = (n) => `${Math.round(n / 1024 ** 2)} MiB`;
function memoryRules() {
  const redis = workloads().flatMap((w) => containers(w).filter(isRedis).map((c) => ({ w, c })));
  for (const { w, c } of redis) {
    if (argOf(c, '--maxmemory-policy') !== 'noeviction')
      bad(w, `container ${c.name}: --maxmemory-policy must be noeviction (jobs must never be evicted)`);
    if (argOf(c, '--appendonly') !== 'yes') bad(w, `container ${c.name}: --appendonly must be yes`);
    const max = redisSize(argOf(c, '--maxmemory'));
    if (!(max > 0)) {
      bad(w, `container ${c.name}: --maxmemory must be set (got ${argOf(c, '--maxmemory')})`);
      continue;
    }
    const limit = quantity(c.resources?.limits?.memory);
    if (!(limit >= max * LIMIT_MARGIN))
      bad(w, `container ${c.name}: memory limit ${c.resources?.limits?.memory} < ${LIMIT_MARGIN} x --maxmemory (${mib(max)})`);
    const fe = workload('stage-frontend');
    if (!fe) continue;
    // The most any autoscaler of the frontend may scale it to.
    const replicas = Math.max(fe.spec.replicas ?? 1, ...autoscalersOf(fe).map((a) => a.max ?? 0));
    for (const fc of containers(fe)) {
      const raw = setting(fe, fc, 'upload.max_inflight_bytes') ?? '1GiB';
      const inflight = stageSize(raw);
      if (!(inflight > 0)) {
        bad(fe, `container ${fc.name}: upload.max_inflight_bytes '${raw}' is no limit: uploads could fill Redis`);
        continue;
      }
      if (replicas * inflight > max * INFLIGHT_SHARE)
        bad(fe, `${replicas} frontends x upload.max_inflight_bytes ${mib(inflight)} = ${mib(replicas * inflight)} > ` +
          `${INFLIGHT_SHARE} x Redis --maxmemory ${mib(max)} (${w.metadata.name}): uploads could fill Redis`);
    }
  }
}

// ---- TLS and probes: the kubelet's gRPC probe speaks plaintext only.
const httpPort = (w, c) => Number(String(setting(w, c, 'server.http_listen') ?? '0.0.0.0:7071').split(':').pop());
function tlsProbeRules() {
  for (const w of STAGE_WORKLOADS.map(workload).filter(Boolean)) {
    const ps = w.spec.template.spec;
    for (const c of containers(w)) {
      const where = `container ${c.name}`;
      const tls = tlsOn(w, c);
      const files = ['server.tls_cert_file', 'server.tls_key_file', 'server.tls_client_ca_file'];
      if (tls !== !!setting(w, c, 'server.tls_key_file'))
        bad(w, `${where}: server.tls_cert_file and server.tls_key_file go together`);
      for (const f of files) {
        const path = setting(w, c, f);
        if (path && !fileSecretKey(ps, c, path))
          bad(w, `${where}: ${f} ${path} is not a key of a mounted Secret`);
      }
      for (const [p, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/healthz']]) {
        const pr = c[p];
        if (!pr) continue;
        if (pr.grpc && tls)
          bad(w, `${where}: ${p}: the kubelet's gRPC probe speaks plaintext, TLS is on: httpGet with scheme HTTPS on ${httpPort(w, c)}`);
        const g = pr.httpGet;
        if (!g) continue;
        const scheme = g.scheme || 'HTTP';
        if (scheme !== (tls ? 'HTTPS' : 'HTTP'))
          bad(w, `${where}: ${p}: scheme ${scheme} but TLS is ${tls ? 'on' : 'off'}`);
        const cp = containerPort(w, g.port);
        if (!cp || cp.containerPort !== httpPort(w, c))
          bad(w, `${where}: ${p}: port ${g.port} is not server.http_listen's ${httpPort(w, c)}`);
        if (g.path !== path) bad(w, `${where}: ${p}: path ${g.path}, expected ${path}`);
      }
    }
  }
  // validate.sh says which overlays must turn TLS on.
  if (process.env.VALIDATE_EXPECT_TLS === '1') {
    const fe = workload('stage-frontend');
    if (!fe || !containers(fe).every((c) => tlsOn(fe, c)))
      problems.push('this overlay must turn TLS on in the frontend (server.tls_cert_file)');
  }
}

// ---- Autoscaling: HPAs and KEDA ScaledObjects (KEDA makes an HPA of its own).
// Each as {obj, targetKind, target, min, max}.
function autoscalers() {
  const out = [];
  for (const h of byKind('HorizontalPodAutoscaler')) {
    const t = h.spec?.scaleTargetRef || {};
    out.push({ obj: h, targetKind: t.kind, target: t.name, min: h.spec?.minReplicas ?? 1, max: h.spec?.maxReplicas });
  }
  for (const so of byKind('ScaledObject')) {
    const t = so.spec?.scaleTargetRef || {};
    out.push({ obj: so, targetKind: t.kind ?? 'Deployment', target: t.name,
      min: so.spec?.minReplicaCount ?? 0, max: so.spec?.maxReplicaCount ?? 100 }); // KEDA's defaults
  }
  return out;
}
const autoscalersOf = (w) => autoscalers().filter((a) => a.targetKind === w.kind && a.target === w.metadata.name);
const ref = (a) => `${a.obj.kind}/${a.obj.metadata?.name}`;
// The metric names a process exports: validate.sh reads them from its sources
// (VALIDATE_METRICS_stage_frontend, VALIDATE_METRICS_stage_worker).
function exportedMetrics(name) {
  const v = process.env[`VALIDATE_METRICS_${name.replace(/-/g, '_')}`];
  return v ? v.split(/\s+/).filter(Boolean) : null;
}
const DEFAULT_MAX_STREAMS = 20000; // common/config.c

function autoscalerRules() {
  for (const a of autoscalers()) {
    const d = a.obj;
    const w = workloads().find((x) => x.kind === a.targetKind && x.metadata.name === a.target);
    if (d.kind === 'ScaledObject' && !w) bad(d, `scale target ${a.targetKind}/${a.target} is not in the manifests`);
    if (!(Number.isInteger(a.max) && a.max >= 1)) bad(d, `max replicas ${a.max}: must be a positive integer`);
    if (!(a.min >= 1)) bad(d, `min replicas ${a.min}: keep at least one pod (jobs and streams in flight, the PDB)`);
    if (a.min > a.max) bad(d, `min replicas ${a.min} > max replicas ${a.max}`);
    if (!w) continue;
    const others = autoscalersOf(w).filter((x) => x.obj !== d);
    if (others.length)
      bad(d, `${w.kind}/${w.metadata.name} is also scaled by ${others.map(ref).join(', ')}: two autoscalers on one workload fight`);
    // A budget that keeps pods through node drains, and that a drain can meet.
    const pdbs = byKind('PodDisruptionBudget').filter((p) =>
      labelsMatch(p.spec.selector?.matchLabels, w.spec.template?.metadata?.labels));
    if (!pdbs.length) bad(w, `autoscaled by ${ref(a)}, but no PodDisruptionBudget keeps its pods through node drains`);
    for (const p of pdbs) {
      const m = p.spec.minAvailable;
      if (typeof m === 'number' && m >= a.min)
        bad(p, `minAvailable ${m} >= ${ref(a)}'s min replicas ${a.min}: a node drain could never evict one`);
    }
    if (d.kind !== 'HorizontalPodAutoscaler') continue;
    // Pods and Object metrics: names the process exports (a metrics adapter
    // serves them under the same name).
    const exported = exportedMetrics(w.metadata.name);
    for (const m of d.spec.metrics || []) {
      const pm = m.type === 'Pods' ? m.pods : m.type === 'Object' ? m.object : null;
      if (!pm) continue;
      const name = pm.metric?.name;
      if (!exported) bad(d, `${m.type} metric ${name}: the metric names of ${w.metadata.name} are unknown (validate.sh sets VALIDATE_METRICS_*)`);
      else if (!exported.includes(name))
        bad(d, `${m.type} metric ${name}: ${w.metadata.name} exports no such metric (it has ${exported.join(', ')})`);
      if (name === 'stage_frontend_streams') {
        const raw = pm.target?.averageValue ?? pm.target?.value;
        const target = quantity(raw);
        for (const c of containers(w)) {
          const max = Number(setting(w, c, 'server.max_streams') ?? DEFAULT_MAX_STREAMS);
          if (!(target > 0 && target < max))
            bad(d, `target ${raw} open streams per pod: must be above 0 and below server.max_streams ${max} (readiness turns NOT_SERVING there, before the HPA would act)`);
        }
      }
    }
  }
}

// ---- KEDA (overlays/keda*): the workers scale on the job queue.
const KEDA_REDIS = ['redis-streams', 'redis-sentinel-streams'];
const kedaTriggers = () => byKind('ScaledObject').flatMap((so) =>
  (so.spec?.triggers || []).filter((t) => KEDA_REDIS.includes(t.type)));
// A NetworkPolicy peer that is KEDA's operator: pods app=keda-operator of one
// namespace named by kubernetes.io/metadata.name, nothing wider.
const kedaPeer = (peer) => !peer.ipBlock && !peer.namespaceSelector?.matchExpressions &&
  !peer.podSelector?.matchExpressions &&
  Object.keys(peer.namespaceSelector?.matchLabels || {}).join() === 'kubernetes.io/metadata.name' &&
  Object.keys(peer.podSelector?.matchLabels || {}).join() === 'app' &&
  peer.podSelector.matchLabels.app === 'keda-operator';
// What KEDA's operator connects to: Redis, and with sentinels, the sentinels
// and every Redis (the primary after a failover).
const kedaReaches = () => (kedaTriggers().length
  ? [...redisWorkloads(), ...(sentinelMode() ? sentinelWorkloads() : [])].map((w) => w.metadata.name) : []);

function kedaRules() {
  const sos = byKind('ScaledObject');
  if (process.env.VALIDATE_EXPECT_KEDA === '1' && !sos.some((so) => so.spec?.scaleTargetRef?.name === 'stage-worker'))
    problems.push('this overlay must scale the workers with a KEDA ScaledObject');
  const stream = process.env.VALIDATE_QUEUE_STREAM;
  const group = process.env.VALIDATE_QUEUE_GROUP;
  const keys = redisPasswordKeys();
  for (const so of sos) {
    const w = workload(so.spec?.scaleTargetRef?.name);
    if (!w) continue; // autoscalerRules
    const trig = (so.spec.triggers || []).filter((t) => KEDA_REDIS.includes(t.type));
    if (w.metadata.name !== 'stage-worker') {
      if (trig.length) bad(so, `${w.metadata.name} does not consume the job queue: only stage-worker scales on it`);
      continue;
    }
    if (!trig.length) bad(so, 'no redis-streams or redis-sentinel-streams trigger on the job queue');
    const ns = so.metadata.namespace;
    // host.<ns>.svc[.cluster.local] -> host, else null
    const inNs = (host) => new RegExp(`^([a-z0-9.-]+?)\\.${ns}\\.svc(\\.cluster\\.local)?$`).exec(host || '')?.[1] ?? null;
    for (const t of trig) {
      const where = `trigger ${t.type}`;
      const m = t.metadata || {};
      if (!stream || !group) problems.push('VALIDATE_QUEUE_STREAM and VALIDATE_QUEUE_GROUP are not set (validate.sh reads common/keys.h)');
      else {
        if (m.stream !== stream) bad(so, `${where}: stream '${m.stream}', the workers read '${stream}' (KEY_QUEUE, common/keys.h)`);
        if (m.consumerGroup !== group)
          bad(so, `${where}: consumerGroup '${m.consumerGroup}', the workers' group is '${group}' (KEY_QUEUE_GROUP, common/keys.h)`);
      }
      const modes = ['pendingEntriesCount', 'streamLength', 'lagCount'].filter((k) => m[k] !== undefined);
      if (modes.length !== 1) bad(so, `${where}: needs exactly one of pendingEntriesCount, streamLength, lagCount (got ${modes.join(', ') || 'none'})`);
      for (const k of modes) if (!/^[1-9]\d*$/.test(String(m[k]))) bad(so, `${where}: ${k} '${m[k]}' must be a positive integer`);
      if (m.enableTLS === 'true') bad(so, `${where}: enableTLS, but Redis here speaks plaintext`);
      if (!ns) {
        bad(so, `${where}: no metadata.namespace: KEDA's operator resolves Redis' address in its own namespace, so the address must name this one (overlays/keda sets namespace: stage)`);
        continue;
      }
      for (const c of containers(w)) {
        const conc = Number(setting(w, c, 'worker.concurrency') ?? 8);
        if (m.pendingEntriesCount !== undefined && Number(m.pendingEntriesCount) >= conc)
          bad(so, `${where}: pendingEntriesCount ${m.pendingEntriesCount} >= worker.concurrency ${conc}: a worker holds no more pending entries than it has slots, so this never scales up`);
        if (sentinelMode()) {
          if (t.type !== 'redis-sentinel-streams') {
            bad(so, `${where}: the workers follow the sentinels (redis.sentinels): a failover would leave this trigger on a replica; use redis-sentinel-streams`);
            continue;
          }
          const want = sentinelList(w, c).map((a) => a.replace(/^([^.:]+\.[^.:]+)[^:]*:/, '$1:')).sort();
          const got = String(m.addresses || '').split(',').map((a) => a.trim()).filter(Boolean).map((a) => {
            const [h, p] = a.split(':');
            return inNs(h) ? `${inNs(h)}:${p ?? 26379}` : `${a} (not <pod>.<service>.${ns}.svc)`;
          }).sort();
          if (got.join(' ') !== want.join(' '))
            bad(so, `${where}: addresses [${got.join(', ')}] are not the workers' redis.sentinels [${want.join(', ')}] in namespace ${ns}`);
          const mn = setting(w, c, 'redis.master_name');
          if (m.sentinelMaster !== String(mn)) bad(so, `${where}: sentinelMaster '${m.sentinelMaster}', redis.master_name is '${mn}'`);
        } else {
          if (t.type !== 'redis-streams') {
            bad(so, `${where}: the workers use one Redis (redis.url): use redis-streams`);
            continue;
          }
          let u;
          try { u = new URL(setting(w, c, 'redis.url') || 'redis://127.0.0.1:6379'); } catch { continue; }
          const addr = m.address ?? `${m.host}:${m.port}`;
          const [h, p] = addr.split(':');
          const svc = u.hostname.split('.')[0];
          if (inNs(h) !== svc || Number(p) !== Number(u.port || 6379))
            bad(so, `${where}: address ${addr} is not the workers' Redis (redis.url ${u.host}): ${svc}.${ns}.svc:${u.port || 6379}`);
        }
      }
      // Redis' password, from its Secret key through a TriggerAuthentication.
      const auth = t.authenticationRef;
      const ta = auth && byKind('TriggerAuthentication').find((x) => x.metadata.name === auth.name &&
        (auth.kind ?? 'TriggerAuthentication') === 'TriggerAuthentication');
      const pw = (ta?.spec?.secretTargetRef || []).find((r) => r.parameter === 'password');
      if (!auth) bad(so, `${where}: no authenticationRef: Redis requires a password`);
      else if (!ta) bad(so, `${where}: TriggerAuthentication ${auth.name} is not in the manifests`);
      else if (!pw || !keys.has(`${pw.name}/${pw.key}`))
        bad(ta, `parameter password must come from Redis' Secret key (${[...keys].join(', ')}), got ${pw ? `${pw.name}/${pw.key}` : 'none'}`);
    }
  }
  // KEDA's operator runs in its own namespace: the policies must let it reach what it asks.
  for (const name of kedaReaches()) {
    const tw = workload(name);
    const port = containers(tw).some(isSentinel) ? 26379 : 6379;
    const ok = byKind('NetworkPolicy').filter((np) => selects(np, tw) && ingressOn(np)).some((np) =>
      (np.spec.ingress || []).some((r) => (r.from || []).some(kedaPeer) && (r.ports || []).some((p) => p.port === port)));
    if (!ok) bad(tw, `NetworkPolicy: KEDA's operator (pods app=keda-operator of its namespace) cannot reach ${name} on ${port}`);
  }
}

// ---- The stage image (deploy/docker/image.conf): its binaries and its user.
function imageRules() {
  const uid = process.env.VALIDATE_IMAGE_UID;
  const bins = (process.env.VALIDATE_IMAGE_COMMANDS || '').split(/\s+/).filter(Boolean);
  if (!uid || !bins.length) {
    problems.push('VALIDATE_IMAGE_UID and VALIDATE_IMAGE_COMMANDS are not set (validate.sh reads deploy/docker/image.conf)');
    return;
  }
  for (const w of STAGE_WORKLOADS.map(workload).filter(Boolean)) {
    const ps = w.spec.template.spec;
    for (const c of containers(w)) {
      const cmd = (c.command || [])[0];
      if (!bins.includes(cmd)) bad(w, `container ${c.name}: command ${cmd} is not a binary of the image (${bins.join(', ')})`);
      const user = c.securityContext?.runAsUser ?? ps.securityContext?.runAsUser;
      if (String(user) !== uid) bad(w, `container ${c.name}: runAsUser ${user}, the image's user is ${uid} (its home and files are that uid's)`);
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
serviceRules();
publicUrlRules();
dataVolumeRules();
policyRules();
sentinelRules();
memoryRules();
tlsProbeRules();
autoscalerRules();
kedaRules();
imageRules();
const kinds = docs.map((d) => d.kind).join(' ');
if (problems.length) {
  for (const p of problems) console.log(`  FAIL ${p}`);
  process.exit(1);
}
console.log(`  ok: ${docs.length} documents (${kinds})`);
