import { Scalar, ScalarTag, stringify, Tags } from 'yaml';

/**
 * Writes one Kubernetes object as YAML that every reader reads back as the same data: go-yaml
 * (kubectl, kustomize, Argo CD, Flux), YAML 1.1 readers (PyYAML: Ansible's k8s module, the Python
 * client, many linters; libyaml) and the `yaml` package that wrote it (plan reads dist/ back).
 *
 * The output is cdk8s's own (`Yaml.stringify`: the `yaml` package, YAML 1.1, no line folding),
 * byte for byte, except for the strings where readers disagree, which are written double-quoted
 * on one line with escapes, as kubectl writes them:
 * - a string holding a control or format character (tab, CR, C0 and C1 controls, DEL, U+0085 NEL,
 *   U+2028, U+2029, U+FEFF, zero-width and bidi characters, U+FFFE, U+FFFF): PyYAML rejects a
 *   plain tab and any raw C1 control; go-yaml fails on U+2028 and U+2029 and reads NEL as a
 *   space; invisible ones would hide in a review of dist/ (`"a\tb"`, `"x\u2028y"`, `"\u200Bz"`);
 * - a string a plain scalar would turn into something else for one of the readers (`"0o17"`
 *   and `"0X1F"` are numbers to go-yaml, `"<<"` and `"="` are tags PyYAML cannot build);
 * - a multi-line string the `yaml` package would write as a quoted scalar folded over lines, or
 *   as a block scalar of blank lines only (which go-yaml and PyYAML read without its spaces).
 *
 * A string holding a lone UTF-16 surrogate cannot be written as UTF-8 at all: an error.
 */
export function manifestYaml(object: any): string {
  try {
    return stringify(object, { keepUndefined: true, lineWidth: 0, version: '1.1', customTags: withSafeStrings });
  } catch (error) {
    throw new Error(`${object?.kind} ${object?.metadata?.name}: ${(error as Error).message}`);
  }
}

/** Control (Cc but \n) and format (Cf) characters, separators, and the two non-characters YAML forbids. */
const NEEDS_ESCAPE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\p{Cf}\p{Zl}\p{Zp}\uFFFE\uFFFF]/u;
const LONE_SURROGATE = /\p{Cs}/u;
const SHORT_ESCAPES = new Map([['"', '\\"'], ['\\', '\\\\'], ['\t', '\\t'], ['\n', '\\n'], ['\r', '\\r']]);

/**
 * Plain scalars that a YAML 1.1 reader resolves to something other than a string: the types of
 * the YAML 1.1 spec as PyYAML implements them (bool, null, int, float, timestamp, merge, value).
 * The `yaml` package quotes most of them already; matching them here too costs nothing.
 */
const YAML_11_OTHER_TYPES = [
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^[-+]?(?:0b[01_]+|0[0-7_]+|0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  // Every timestamp form starts so (go-yaml's too); matching the prefix only quotes a few more strings.
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
  /^(?:<<|=)$/,
];

/**
 * Whether go-yaml (resolve.go, v2 and v3) reads this plain scalar as something other than a
 * string. Besides its table of words, a scalar starting with a digit or a sign is tried, with
 * every '_' removed, as a Go integer literal of any base (0x, 0X, 0o, 0O, 0b, 0B, a leading 0)
 * and as a decimal float; one starting with '.' as a Go float.
 */
function goYamlOtherType(value: string): boolean {
  if (/^(?:true|True|TRUE|false|False|FALSE|~|null|Null|NULL|\.nan|\.NaN|\.NAN|[-+]?\.(?:inf|Inf|INF)|<<|)$/.test(value)) return true;
  if (value.startsWith('.')) return /^\.[0-9_]+(?:[eE][-+]?[0-9_]+)?$/.test(value);
  if (!/^[-+0-9]/.test(value)) return false;
  const plain = value.replace(/_/g, '');
  return /^[-+]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|[0-9]+)$/.test(plain)
    || /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)
    || /^(?:0b[-+]?|-0b)[01]+$|^(?:0o[-+]?|-0o)[0-7]+$/.test(plain);
}

function readAsOtherType(value: string): boolean {
  return YAML_11_OTHER_TYPES.some((pattern) => pattern.test(value)) || goYamlOtherType(value);
}

/** `value` double-quoted on one line: the YAML escapes every reader knows, \u and \U for the rest. */
function doubleQuoted(value: string): string {
  let out = '"';
  for (const character of value) {
    const code = character.codePointAt(0)!;
    out += SHORT_ESCAPES.get(character)
      ?? (!NEEDS_ESCAPE.test(character) ? character
        : code <= 0xffff ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
          : `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`);
  }
  return out + '"';
}

/**
 * The schema's tags with a string tag that writes the strings above double-quoted and every
 * other one as before, and without the merge tag, which would write the string `<<` as a merge key.
 */
function withSafeStrings(tags: Tags): Tags {
  return tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:merge').map((tag) => {
    if (typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:str' || tag.collection) return tag;
    const original = tag as ScalarTag;
    const safe: ScalarTag = {
      ...original,
      stringify(item: Scalar, ctx, onComment, onChompKeep) {
        const value = String(item.value);
        if (LONE_SURROGATE.test(value)) {
          throw new Error('a string holds a lone UTF-16 surrogate, which UTF-8, and so a YAML file, cannot carry');
        }
        if (NEEDS_ESCAPE.test(value) || readAsOtherType(value)) return doubleQuoted(value);
        // Spaces and line breaks only: a block scalar has no line to take its indentation from, and
        // readers disagree on it (go-yaml and PyYAML read ' \n' written as `|+` as '\n').
        if (value.includes('\n') && /^[ \n]*$/.test(value)) return doubleQuoted(value);
        const written = original.stringify!(item, ctx, onComment, onChompKeep);
        return value.includes('\n') && !/^[|>]/.test(written) ? doubleQuoted(value) : written;
      },
    };
    return safe;
  });
}
