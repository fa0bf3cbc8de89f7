import { formatImageReference, imageFromVariable, isDigestReference, parseImageReference } from '../lib/config/image-reference';

// Test vectors from github.com/distribution/reference (commit 0965666): reference_test.go
// (TestReferenceParse) and normalize_test.go (TestValidateReferenceName, TestValidateRemoteName,
// TestParseRepositoryInfo, TestParseReferenceWithTagAndDigest), written here as data. Those tests
// call Parse, which keeps a first component such as `foo` as the domain; Docker and containerd
// read images through ParseNormalizedNamed, which puts such names on Docker Hub, so the expected
// registry of a name without a domain is `docker.io` (with `library/` for one component), as
// normalize.go's splitDockerDomain and TestParseRepositoryInfo say.
const F64 = 'f'.repeat(64);
const BUSYBOX_DIGEST = 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';

describe('parseImageReference', () => {
  test.each([
    // reference_test.go, references with a domain: registry and path as Domain() and Name() give them.
    ['test.com/repo:tag', 'test.com', 'repo', 'tag', undefined],
    ['test:5000/repo', 'test:5000', 'repo', undefined, undefined],
    ['test:5000/repo:tag', 'test:5000', 'repo', 'tag', undefined],
    [`test:5000/repo@sha256:${F64}`, 'test:5000', 'repo', undefined, `sha256:${F64}`],
    [`test:5000/repo:tag@sha256:${F64}`, 'test:5000', 'repo', 'tag', `sha256:${F64}`],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com', 'bar/baz/quux', undefined, undefined],
    ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag', undefined],
    ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com', undefined],
    ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com', undefined],
    [`xn--7o8h.com/myimage:xn--7o8h.com@sha256:${F64}`, 'xn--7o8h.com', 'myimage', 'xn--7o8h.com', `sha256:${F64}`],
    ['192.168.1.1/repo', '192.168.1.1', 'repo', undefined, undefined],
    ['192.168.1.1:5000/repo', '192.168.1.1:5000', 'repo', undefined, undefined],
    ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050', undefined],
    ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo', undefined, undefined],
    ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]', 'repo', 'tag', undefined],
    ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'repo', undefined, undefined],
    ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000', 'repo', 'tag', undefined],
    [`[2001:db8::1]:5000/repo@sha256:${F64}`, '[2001:db8::1]:5000', 'repo', undefined, `sha256:${F64}`],
    [`[2001:db8::1]:5000/repo:tag@sha256:${F64}`, '[2001:db8::1]:5000', 'repo', 'tag', `sha256:${F64}`],
    ['[2001:db8::]:5000/repo', '[2001:db8::]:5000', 'repo', undefined, undefined],
    ['[::1]:5000/repo', '[::1]:5000', 'repo', undefined, undefined],
    // The 255-character limit is on the path, not counting the registry.
    [`example.com/${'a'.repeat(255)}:tag`, 'example.com', 'a'.repeat(255), 'tag', undefined],
    // reference_test.go, names without a domain, normalised onto Docker Hub.
    ['test_com', 'docker.io', 'library/test_com', undefined, undefined],
    ['test.com:tag', 'docker.io', 'library/test.com', 'tag', undefined],
    ['test.com:5000', 'docker.io', 'library/test.com', '5000', undefined],
    ['lowercase:Uppercase', 'docker.io', 'library/lowercase', 'Uppercase', undefined],
    [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, 'docker.io', `${'a/'.repeat(127)}a`, 'tag-puts-this-over-max', undefined],
    ['foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080', undefined],
    ['foo/foo_bar.com:8080', 'docker.io', 'foo/foo_bar.com', '8080', undefined],
    ['192.168.1.1', 'docker.io', 'library/192.168.1.1', undefined, undefined],
    ['192.168.1.1:tag', 'docker.io', 'library/192.168.1.1', 'tag', undefined],
    ['192.168.1.1:5000', 'docker.io', 'library/192.168.1.1', '5000', undefined],
    // normalize_test.go TestParseReferenceWithTagAndDigest.
    [`busybox:latest@${BUSYBOX_DIGEST}`, 'docker.io', 'library/busybox', 'latest', BUSYBOX_DIGEST],
  ])('%s is registry %s, repository %s, tag %s, digest %s', (input, registry, repository, tag, digest) => {
    expect(parseImageReference(input)).toEqual({
      reference: { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) },
    });
  });

  // normalize_test.go TestParseRepositoryInfo: every spelling of a name, its registry and path.
  test.each([
    [['localhost/fooo'], 'localhost', 'fooo'],
    [['localhost/fooo/bar'], 'localhost', 'fooo/bar'],
    [['LOCALDOMAIN/fooo'], 'LOCALDOMAIN', 'fooo'],
    [['LOCALDOMAIN/fooo/bar'], 'LOCALDOMAIN', 'fooo/bar'],
    [['fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar'], 'docker.io', 'fooo/bar'],
    [['ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu'], 'docker.io', 'library/ubuntu'],
    [['nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu'], 'docker.io', 'nonlibrary/ubuntu'],
    [['other/library', 'docker.io/other/library'], 'docker.io', 'other/library'],
    [['127.0.0.1:8000/private/moonbase'], '127.0.0.1:8000', 'private/moonbase'],
    [['127.0.0.1:8000/privatebase'], '127.0.0.1:8000', 'privatebase'],
    [['example.com/private/moonbase'], 'example.com', 'private/moonbase'],
    [['example.com/privatebase'], 'example.com', 'privatebase'],
    [['example.com:8000/private/moonbase'], 'example.com:8000', 'private/moonbase'],
    [['example.com:8000/privatebasee'], 'example.com:8000', 'privatebasee'],
    [['ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base'], 'docker.io', 'library/ubuntu-12.04-base'],
    [['foo', 'docker.io/library/foo', 'docker.io/foo'], 'docker.io', 'library/foo'],
    [['library/foo/bar', 'docker.io/library/foo/bar'], 'docker.io', 'library/foo/bar'],
    [['store/foo/bar', 'docker.io/store/foo/bar'], 'docker.io', 'store/foo/bar'],
    [['Foo/bar'], 'Foo', 'bar'],
    [['FOO/bar'], 'FOO', 'bar'],
  ])('%j are registry %s, repository %s', (inputs, registry, repository) => {
    for (const input of inputs) expect(parseImageReference(input)).toEqual({ reference: { registry, repository } });
  });

  // normalize_test.go TestValidateReferenceName and TestValidateRemoteName, the valid names.
  test.each([
    'docker/docker', 'library/debian', 'debian', 'localhost/library/debian', 'localhost/debian', 'LOCALDOMAIN/library/debian',
    'LOCALDOMAIN/debian', 'docker.io/docker/docker', 'docker.io/library/debian', 'docker.io/debian', 'index.docker.io/docker/docker',
    'index.docker.io/library/debian', 'index.docker.io/debian', '127.0.0.1:5000/docker/docker', '127.0.0.1:5000/library/debian',
    '127.0.0.1:5000/debian', '192.168.0.1', '192.168.0.1:80', '192.168.0.1:8/debian', '192.168.0.2:25000/debian',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', '[fc00::1]:5000/docker', '[fc00::1]:5000/docker/docker',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian', 'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'Docker/docker', 'DOCKER/docker', 'docker-rules/docker', 'docker---rules/docker', 'doc/docker', 'd/docker', 'jess/t', 'dock__er/docker',
  ])('%s is an image reference', (input) => {
    expect(parseImageReference(input).problem).toBeUndefined();
  });

  test.each([
    // reference_test.go, with the error it expects (ErrNameEmpty, ErrReferenceInvalidFormat,
    // ErrNameContainsUppercase, ErrNameTooLong, go-digest's ErrDigestInvalidLength and ErrDigestUnsupported).
    ['', 'it is empty'],
    [':justtag', 'the repository has an empty path component'],
    [`@sha256:${F64}`, 'the repository has an empty path component'],
    [`repo@sha256:${'f'.repeat(34)}`, 'a sha256 digest has 64 hexadecimal digits, not 34'],
    [`validname@invaliddigest:${F64}`, 'unsupported digest algorithm "invaliddigest" (sha256 or sha512)'],
    ['Uppercase:tag', 'repository must be lowercase'],
    ['test:5000/Uppercase/lowercase:tag', 'repository must be lowercase'],
    [`domain/${'a'.repeat(256)}:tag`, 'repository must not be more than 255 characters'],
    ['aa/asdf$$^/aa', 'path component "asdf$$^" is not lowercase letters and digits separated by \'.\', \'_\', \'__\' or dashes'],
    ['[2001:db8::1]', 'a registry alone names no repository'],
    ['[2001:db8::1]:5000', 'a registry alone names no repository'],
    ['[2001:db8::1]:tag', 'path component "[2001:db8::1]" is not lowercase letters and digits separated by \'.\', \'_\', \'__\' or dashes'],
    ['[fe80::1%eth0]:5000/repo', 'registry "[fe80::1%eth0]:5000" is not a host name or [IPv6 address] with an optional :port'],
    ['[fe80::1%@invalidzone]:5000/repo', 'registry "[fe80::1%@invalidzone]:5000" is not a host name or [IPv6 address] with an optional :port'],
    // normalize_test.go TestValidateReferenceName and TestValidateRemoteName, the invalid names
    // (a first component with a '.' is a registry for Docker: `dock..er/docker` fails as one).
    ['https://github.com/docker/docker', 'registry "https:" is not a host name or [IPv6 address] with an optional :port'],
    ['docker/Docker', 'repository must be lowercase'],
    ['-docker', 'path component "-docker" is not lowercase letters and digits separated by \'.\', \'_\', \'__\' or dashes'],
    ['-docker/docker', 'path component "-docker" is not lowercase letters and digits separated by \'.\', \'_\', \'__\' or dashes'],
    ['-docker.io/docker/docker', 'registry "-docker.io" is not a host name or [IPv6 address] with an optional :port'],
    ['docker///docker', 'the repository has an empty path component'],
    ['docker.io/docker/Docker', 'repository must be lowercase'],
    ['docker.io/docker///docker', 'the repository has an empty path component'],
    ['[fc00::1]', 'a registry alone names no repository'],
    ['[fc00::1]:5000', 'a registry alone names no repository'],
    ['fc00::1:5000/debian', 'registry "fc00::1:5000" is not a host name or [IPv6 address] with an optional :port'],
    ['[fe80::1%eth0]:5000/debian', 'registry "[fe80::1%eth0]:5000" is not a host name or [IPv6 address] with an optional :port'],
    ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'registry "[2001:db8:3:4::192.0.2.33]:5000" is not a host name or [IPv6 address] with an optional :port'],
    ['1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'a name of 64 hexadecimal digits is an image ID, not a repository'],
    ['docker-/docker', 'path component "docker-" is not lowercase letters and digits separated by \'.\', \'_\', \'__\' or dashes'],
    ['-docker-/docker', 'path component "-docker-" is not lowercase letters and digits separated by \'.\', \'_\', \'__\' or dashes'],
    ['____/____', 'path component "____" is not lowercase letters and digits separated by \'.\', \'_\', \'__\' or dashes'],
    ['_docker/_docker', 'path component "_docker" is not lowercase letters and digits separated by \'.\', \'_\', \'__\' or dashes'],
    ['dock..er/docker', 'registry "dock..er" is not a host name or [IPv6 address] with an optional :port'],
    ['dock_.er/docker', 'registry "dock_.er" is not a host name or [IPv6 address] with an optional :port'],
    ['dock-.er/docker', 'registry "dock-.er" is not a host name or [IPv6 address] with an optional :port'],
    ['docker/', 'the repository has an empty path component'],
    [`${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(3)}this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker`,
      'repository must not be more than 255 characters'],
    // normalize_test.go TestInvalidReferenceComponents: a tag may not start with '-'.
    ['busybox:-foo', 'tag "-foo" is not 1 to 128 letters, digits, \'_\', \'.\' or \'-\' starting with a letter, digit or \'_\''],
    // go-digest: a sha256 digest is lowercase hex.
    [`repo@sha256:${'F'.repeat(64)}`, 'a sha256 digest is written in lowercase hexadecimal'],
    [`repo@sha256:${'f'.repeat(65)}`, 'a sha256 digest has 64 hexadecimal digits, not 65'],
    // The tag grammar's 128-character limit.
    [`repo:${'t'.repeat(129)}`, `tag "${'t'.repeat(129)}" is not 1 to 128 letters, digits, '_', '.' or '-' starting with a letter, digit or '_'`],
  ])('%s is not an image reference: %s', (input, problem) => {
    expect(parseImageReference(input)).toEqual({ problem });
  });

  test('a 128-character tag is the longest', () => {
    expect(parseImageReference(`repo:${'t'.repeat(128)}`).reference?.tag).toHaveLength(128);
  });

  test('takes sha512 digests, which the OCI image spec registers (reference_test.go refuses them only because its test binary links no SHA-512)', () => {
    const digest = `sha512:${'f'.repeat(128)}`;
    expect(parseImageReference(`validname@${digest}`)).toEqual({ reference: { registry: 'docker.io', repository: 'library/validname', digest } });
    expect(parseImageReference(`validname@sha512:${F64}`)).toEqual({ problem: 'a sha512 digest has 128 hexadecimal digits, not 64' });
  });
});

describe('formatImageReference', () => {
  test('writes the normalised name, as normalize_test.go gives it', () => {
    const parsed = parseImageReference(`busybox:latest@${BUSYBOX_DIGEST}`);
    expect(formatImageReference(parsed.reference!)).toBe(`docker.io/library/busybox:latest@${BUSYBOX_DIGEST}`);
    expect(formatImageReference(parseImageReference('index.docker.io/fooo/bar').reference!)).toBe('docker.io/fooo/bar');
  });
});

describe('isDigestReference', () => {
  test.each([
    [`ghcr.io/example-org/task-api@sha256:${F64}`, true],
    [`ghcr.io/example-org/task-api:1.5.0@sha256:${F64}`, true],
    ['ghcr.io/example-org/task-api:1.5.0', false],
    ['ghcr.io/Example/x@sha256:abc', false],
  ])('%s: %s', (image, pinned) => {
    expect(isDigestReference(image)).toBe(pinned);
  });

  test('takes parsed references too', () => {
    expect(isDigestReference({ registry: 'ghcr.io', repository: 'o/a', digest: `sha256:${F64}` })).toBe(true);
    expect(isDigestReference({ registry: 'ghcr.io', repository: 'o/a', tag: '1' })).toBe(false);
  });
});

describe('imageFromVariable', () => {
  const DEFAULT = 'ghcr.io/example-org/task-api:1.4.0';

  test.each([
    [undefined, DEFAULT],
    ['', DEFAULT],
    ['ghcr.io/example-org/task-api:1.5.0', 'ghcr.io/example-org/task-api:1.5.0'],
    [`ghcr.io/example-org/task-api@sha256:${F64}`, `ghcr.io/example-org/task-api@sha256:${F64}`],
    ['registry.example.com:5000/other/image:2', 'registry.example.com:5000/other/image:2'],
    ['nginx:1.27', 'nginx:1.27'],
    [':1.5.0', 'ghcr.io/example-org/task-api:1.5.0'],
    [`@sha256:${F64}`, `ghcr.io/example-org/task-api@sha256:${F64}`],
    [`:1.5.0@sha256:${F64}`, `ghcr.io/example-org/task-api:1.5.0@sha256:${F64}`],
  ])('APP_IMAGE=%s runs %s', (value, image) => {
    expect(imageFromVariable('APP_IMAGE', value, DEFAULT)).toBe(image);
  });

  test('a tag or digest alone replaces both the tag and the digest of the default', () => {
    const pinned = `localhost:5000/app:1.0@sha256:${F64}`;
    expect(imageFromVariable('APP_IMAGE', ':2.0', pinned)).toBe('localhost:5000/app:2.0');
    expect(imageFromVariable('APP_IMAGE', `@sha256:${'e'.repeat(64)}`, pinned)).toBe(`localhost:5000/app@sha256:${'e'.repeat(64)}`);
  });

  test.each([
    ['ghcr.io/Example/x:1', 'TASK_API_IMAGE: "ghcr.io/Example/x:1" is not an image reference: repository must be lowercase'],
    ['@sha256:abc', 'TASK_API_IMAGE: "@sha256:abc" is not an image reference: digest "sha256:abc" is not <algorithm>:<hex>'],
    [':-1', 'TASK_API_IMAGE: ":-1" is not an image reference: tag "-1" is not 1 to 128 letters, digits, \'_\', \'.\' or \'-\' starting with a letter, digit or \'_\''],
    ['1.5.0', 'TASK_API_IMAGE: "1.5.0" names no tag or digest; give a full reference with one, or only a tag as ":1.5.0"'],
    ['ghcr.io/example-org/task-api', 'TASK_API_IMAGE: "ghcr.io/example-org/task-api" names no tag or digest; give a full reference with one, or only a tag as ":ghcr.io/example-org/task-api"'],
  ])('refuses %s naming the variable', (value, message) => {
    expect(() => imageFromVariable('TASK_API_IMAGE', value, DEFAULT)).toThrow(new Error(message));
  });

  test('refuses a default image that is not a reference', () => {
    expect(() => imageFromVariable('APP_IMAGE', undefined, 'ghcr.io/Org/app:1')).toThrow(new Error('the default image "ghcr.io/Org/app:1" is not an image reference: repository must be lowercase'));
  });
});
