import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/** Hex digits of the spec's hash in a content-named Job's name. */
const HASH_LENGTH = 10;
const SUFFIX = new RegExp(`^(.+)-[0-9a-f]{${HASH_LENGTH}}$`);
/** The Job controller copies a Job's name into a pod label (`batch.kubernetes.io/job-name`). */
const MAX_JOB_NAME = 63;

/**
 * Names a Job after its content: `<name>-<first 10 hex digits of a SHA-256 of the rendered
 * spec>`, where `<name>` is the name it was given.
 *
 * A Job's pod template is immutable (and so are most other fields of its spec). A Job that reads
 * a LayeredConfig carries its restart hashes on that template, so with a fixed name the next
 * `kubectl apply` after a config change (or a new image, or any other change) fails with "field
 * is immutable". Named after its content, a changed Job is a new object and runs; an unchanged
 * one is the same object and `kubectl apply` leaves it alone. The old Job stays until its
 * `ttlSecondsAfterFinished` (set one: `kubectl apply` never deletes) or until pruned.
 *
 * Consequence: after its TTL removes a finished Job, applying the same manifests creates it again
 * and it runs again. The command must therefore be idempotent, as `alembic upgrade head` is (a
 * no-op at head).
 *
 * The name is set when the Job is rendered (the template holds hashes computed at synth time),
 * so read it from the synthesized objects, not from `job.name`.
 */
export function nameJobAfterContent(job: kplus.Job): void {
  const apiObject = ApiObject.of(job);
  const base = apiObject.name;
  if (base.length + 1 + HASH_LENGTH > MAX_JOB_NAME) {
    throw new Error(`Job ${base}: the name is too long to take a ${HASH_LENGTH}-digit content suffix: keep it to ${MAX_JOB_NAME - 1 - HASH_LENGTH} characters`);
  }
  const render = apiObject.toJson.bind(apiObject);
  // The one place cdk8s lets the rendered spec decide the name: after rendering.
  apiObject.toJson = () => {
    const json = render();
    json.metadata.name = `${base}-${specHash(json.spec)}`;
    return json;
  };
}

/** The name a content-named Job was given, or undefined if `name` has no content suffix. */
export function contentNamedJobBase(name: string): string | undefined {
  return SUFFIX.exec(name)?.[1];
}

function specHash(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, HASH_LENGTH);
}

/** JSON with object keys sorted at every level: the same spec gives the same bytes. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as any)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
