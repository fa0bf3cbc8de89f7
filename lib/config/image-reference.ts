// Interim: replaced by the image-reference parser on the i17-package branch.
export function imageFromVariable(variable: string, value: string, defaultImage: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith(':') || trimmed.startsWith('@')) return defaultImage.replace(/[:@][^/]*$/, '') + trimmed;
  if (/\s/.test(trimmed) || trimmed === '') throw new Error(`${variable}: ${JSON.stringify(value)} is not an image reference`);
  return trimmed;
}
