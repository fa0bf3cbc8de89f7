// Container image references, read the way Docker, containerd and the kubelet read them: the
// grammar of github.com/distribution/reference (regexp.go) with Docker Hub's normalisation
// (normalize.go: `nginx` is `docker.io/library/nginx`). Pure: text in, parts or a problem out.

/** An image reference split into its parts, Docker Hub names normalised. */
export interface ImageReference {
  /** The registry host with its port, as written (`ghcr.io`, `localhost:5000`); Docker Hub is `docker.io`. */
  readonly registry: string;
  /** The path inside the registry (`example-org/web`); Docker Hub's official images get `library/`. */
  readonly repository: string;
  /** The tag after `:`, when there is one. */
  readonly tag?: string;
  /** The digest after `@` (`sha256:<64 hex>`), when there is one. */
  readonly digest?: string;
}

/** What parseImageReference found: the parts, or why the text is not an image reference. */
export type ParsedImageReference = { readonly reference: ImageReference; readonly problem?: undefined } | { readonly reference?: undefined; readonly problem: string };

// The productions of distribution/reference's regexp.go, in JavaScript syntax (Go's `\w` and
// `[[:xdigit:]]` are ASCII-only, as JavaScript's `\w` and `[0-9A-Fa-f]` are).
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;

const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const ANCHORED_TAG = new RegExp(`^${TAG}$`);
const ANCHORED_DIGEST = new RegExp(`^${DIGEST}$`);
const ANCHORED_DOMAIN = new RegExp(`^${DOMAIN_AND_PORT}$`);
const ANCHORED_PATH_COMPONENT = new RegExp(`^${PATH_COMPONENT}$`);
/** A bare image ID: Docker refuses it as a name, since it cannot tell it from a local image's ID. */
const IDENTIFIER = /^[a-f0-9]{64}$/;

/** reference.go's RepositoryNameTotalLengthMax: the path, not counting the registry. */
const REPOSITORY_LENGTH_MAX = 255;
const DOCKER_HUB = 'docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

/**
 * The digest algorithms the OCI image spec registers (descriptor.md), with the length of their
 * lowercase hex encoding. go-digest knows the same; distribution/reference accepts an algorithm
 * only when the program links its hash, which Docker and containerd do for both.
 */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/**
 * Parses an image reference as Docker's ParseNormalizedNamed does: `nginx:1.27` is
 * `docker.io/library/nginx` tagged `1.27`; the first component is a registry when it has a `.` or
 * `:`, is `localhost` or has an uppercase letter. Returns the parts or a one-line problem.
 */
export function parseImageReference(text: string): ParsedImageReference {
  if (text === '') return { problem: 'it is empty' };
  if (IDENTIFIER.test(text)) return { problem: 'a name of 64 hexadecimal digits is an image ID, not a repository' };
  const [domain, remainder] = splitDockerDomain(text);
  const remote = remainder.split(':')[0];
  if (remote.toLowerCase() !== remote) return { problem: 'repository must be lowercase' };
  const full = `${domain}/${remainder}`;
  const match = REFERENCE.exec(full);
  if (!match) {
    // As reference.go's Parse: text that only fails for its case has an uppercase repository.
    if (REFERENCE.test(full.toLowerCase())) return { problem: 'repository must be lowercase' };
    return { problem: diagnose(text, full) };
  }
  const [, name, tag, digest] = match;
  const [, registry, repository] = ANCHORED_NAME.exec(name)!;
  if (repository.length > REPOSITORY_LENGTH_MAX) return { problem: `repository must not be more than ${REPOSITORY_LENGTH_MAX} characters` };
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem) return { problem };
  }
  return { reference: { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) } };
}

/** The reference written out in full: `registry/repository[:tag][@digest]`. */
export function formatImageReference(reference: ImageReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `${reference.registry}/${reference.repository}${tag}${digest}`;
}

/**
 * Whether the image is pinned by digest: the same bytes on every pull, whatever is pushed to its
 * tag later. False for text that is not an image reference.
 */
export function isDigestReference(image: string | ImageReference): boolean {
  const reference = typeof image === 'string' ? parseImageReference(image).reference : image;
  return reference?.digest !== undefined;
}

/**
 * The image to run, from a variable CI sets (its name is the consumer's, e.g. `APP_IMAGE`):
 * - unset or empty: `defaultImage`;
 * - a full reference (`ghcr.io/org/app:1.5.0`, `ghcr.io/org/app@sha256:<64 hex>`): itself, as written;
 * - only a tag `:1.5.0`, a digest `@sha256:<hex>` or both `:1.5.0@sha256:<hex>`: that suffix on the
 *   default image's name, replacing the default's own tag and digest (kustomize's `images:` newTag
 *   and digest, Helm's `--set image.tag`).
 * A full reference must name a tag or a digest: `APP_IMAGE=1.5.0` would otherwise mean the Docker
 * Hub image `library/1.5.0:latest`. Throws, naming the variable and the value, on anything else.
 */
export function imageFromVariable(variableName: string, value: string | undefined, defaultImage: string): string {
  const parsedDefault = parseImageReference(defaultImage);
  if (parsedDefault.problem !== undefined) throw new Error(`the default image "${defaultImage}" is not an image reference: ${parsedDefault.problem}`);
  if (value === undefined || value === '') return defaultImage;
  const refuse = (problem: string) => new Error(`${variableName}: "${value}" is not an image reference: ${problem}`);
  if (value.startsWith(':') || value.startsWith('@')) {
    const image = `${nameOf(defaultImage)}${value}`;
    const parsed = parseImageReference(image);
    if (parsed.problem !== undefined) throw refuse(parsed.problem);
    return image;
  }
  const parsed = parseImageReference(value);
  if (parsed.problem !== undefined) throw refuse(parsed.problem);
  if (parsed.reference.tag === undefined && parsed.reference.digest === undefined) {
    throw new Error(`${variableName}: "${value}" names no tag or digest; give a full reference with one, or only a tag as ":${value}"`);
  }
  return value;
}

/** The image's name as written, without its tag and digest (the text is a valid reference). */
function nameOf(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

/** normalize.go's splitDockerDomain: the registry, and the rest with Docker Hub's `library/`. */
function splitDockerDomain(text: string): [string, string] {
  const slash = text.indexOf('/');
  if (slash === -1) return [DOCKER_HUB, OFFICIAL_PREFIX + text];
  let domain = text.slice(0, slash);
  let remainder = text.slice(slash + 1);
  if (domain === LEGACY_DOCKER_HUB) domain = DOCKER_HUB;
  else if (!(domain === 'localhost' || /[.:]/.test(domain) || domain.toLowerCase() !== domain)) {
    domain = DOCKER_HUB;
    remainder = text;
  }
  if (domain === DOCKER_HUB && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/**
 * Which part makes distribution/reference's "invalid reference format" for this text, as far as
 * a split at '/', ':' and '@' tells. `full` is `registry/rest`, as splitDockerDomain returned it.
 */
function diagnose(text: string, full: string): string {
  if (!text.includes('/') && ANCHORED_DOMAIN.test(text) && /[[:]/.test(text)) return 'a registry alone names no repository';
  const slash = full.indexOf('/');
  const domain = full.slice(0, slash);
  if (!ANCHORED_DOMAIN.test(domain)) return `registry "${domain}" is not a host name or [IPv6 address] with an optional :port`;
  const rest = full.slice(slash + 1);
  const at = rest.indexOf('@');
  const named = at === -1 ? rest : rest.slice(0, at);
  const colon = named.lastIndexOf(':');
  const path = colon > named.lastIndexOf('/') ? named.slice(0, colon) : named;
  const component = path.split('/').find((part) => !ANCHORED_PATH_COMPONENT.test(part));
  if (component === '') return 'the repository has an empty path component';
  if (component !== undefined) {
    return `path component "${component}" is not lowercase letters and digits separated by '.', '_', '__' or dashes`;
  }
  const tag = path === named ? undefined : named.slice(colon + 1);
  if (tag !== undefined && !ANCHORED_TAG.test(tag)) {
    return `tag "${tag}" is not 1 to 128 letters, digits, '_', '.' or '-' starting with a letter, digit or '_'`;
  }
  const digest = at === -1 ? undefined : rest.slice(at + 1);
  if (digest !== undefined && !ANCHORED_DIGEST.test(digest)) return `digest "${digest}" is not <algorithm>:<hex>`;
  return 'invalid reference format';
}

/** go-digest's Validate, for the algorithms DIGEST_HEX_LENGTH knows. */
function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) return `unsupported digest algorithm "${algorithm}" (${Object.keys(DIGEST_HEX_LENGTH).join(' or ')})`;
  if (hex.length !== length) return `a ${algorithm} digest has ${length} hexadecimal digits, not ${hex.length}`;
  if (!/^[a-f0-9]+$/.test(hex)) return `a ${algorithm} digest is written in lowercase hexadecimal`;
  return undefined;
}
