// Objects of built-in kinds beyond the Task API's own, each valid, with one field of the wrong
// type for the broken variant. Shared by test/validate.test.ts (our verdict) and
// test/cluster/validate.test.ts (the API server's verdict on the very same objects).

const pod = (name: string, restartPolicy?: string) => ({
  metadata: { labels: { app: name } },
  spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name, image: 'registry.example.com/app:1.0.0' }] },
});

export interface BuiltInCase {
  readonly valid: any;
  /** The valid object with `field` set to `value` (a wrong type). */
  readonly field: string;
  readonly value: unknown;
  /** Our message for it. */
  readonly message: string;
}

export const BUILT_IN_CASES: Record<string, BuiltInCase> = {
  'batch/v1 CronJob': {
    valid: {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cleanup' },
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: pod('cleanup', 'OnFailure') } } },
    },
    field: 'spec.successfulJobsHistoryLimit', value: 'three',
    message: 'CronJob cleanup: spec.successfulJobsHistoryLimit: must be integer',
  },
  'apps/v1 StatefulSet': {
    valid: {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' },
      spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: pod('db') },
    },
    field: 'spec.replicas', value: '2',
    message: 'StatefulSet db: spec.replicas: must be integer',
  },
  'apps/v1 DaemonSet': {
    valid: {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: pod('agent') },
    },
    field: 'spec.minReadySeconds', value: 'soon',
    message: 'DaemonSet agent: spec.minReadySeconds: must be integer',
  },
  'v1 ServiceAccount': {
    valid: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'worker' }, automountServiceAccountToken: false },
    field: 'automountServiceAccountToken', value: 'no',
    message: 'ServiceAccount worker: automountServiceAccountToken: must be boolean',
  },
  'networking.k8s.io/v1 Ingress': {
    valid: {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web' },
      spec: { rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    },
    field: 'spec.rules.0.http.paths.0.backend.service.port.number', value: '80',
    message: 'Ingress web: spec.rules[0].http.paths[0].backend.service.port.number: must be integer',
  },
  'autoscaling/v2 HorizontalPodAutoscaler': {
    valid: {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
      },
    },
    field: 'spec.maxReplicas', value: 'three',
    message: 'HorizontalPodAutoscaler web: spec.maxReplicas: must be integer',
  },
};

/** A deep copy of `object` with the dotted `field` (numbers index arrays) set to `value`. */
export function withField(object: any, field: string, value: unknown): any {
  const copy = JSON.parse(JSON.stringify(object));
  const path = field.split('.');
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
  return copy;
}

/** The made-up custom resource of test/fixtures/widget-crd.yaml. */
export const widget = (spec: unknown) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec });

/** Widgets the CRD's schema refuses, with our message. */
export const BAD_WIDGETS: ReadonlyArray<readonly [string, any, string]> = [
  ['a size below the minimum', widget({ size: 0 }), 'Widget w: spec.size: must be >= 1'],
  ['a size that is not an integer', widget({ size: 'big' }), 'Widget w: spec.size: must be integer'],
  ['no size', widget({ colour: 'red' }), 'Widget w: spec.size: is required'],
  ['a field the schema does not have', widget({ size: 1, sise: 2 }), 'Widget w: spec.sise: unknown field'],
  ['a colour not in the enum', widget({ size: 1, colour: 'pink' }), 'Widget w: spec.colour: must be one of "red", "green", "blue"'],
  ['an int-or-string that is neither', widget({ size: 1, port: true }), 'Widget w: spec.port: must be an integer or a string'],
  ['a set with a duplicate', widget({ size: 1, tags: ['a', 'b', 'a'] }), 'Widget w: spec.tags[2]: is a duplicate of [0]'],
  ['a map list with a duplicate key', widget({ size: 1, parts: [{ name: 'x', count: 1 }, { name: 'x', count: 2 }] }), 'Widget w: spec.parts[1]: has the same name as [0]'],
];

/** Widgets it accepts. */
export const GOOD_WIDGETS: ReadonlyArray<readonly [string, any]> = [
  ['the required field alone', widget({ size: 1 })],
  ['every field', widget({ size: 3, colour: 'green', port: 'http', tags: ['a', 'b'], parts: [{ name: 'x', count: 1 }, { name: 'y' }], extra: { anything: { goes: [1] } } })],
  ['an int-or-string that is an integer', widget({ size: 1, port: 8080 })],
];
