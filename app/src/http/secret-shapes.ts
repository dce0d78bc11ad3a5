/**
 * Strings shaped like credentials. A caller that puts its API key (or an AWS key id) into a free-form field such
 * as OpenAI's `user` or Anthropic's `metadata.user_id` would otherwise have it logged verbatim, because such keys
 * are made of the same characters as a harmless identifier. Anything matching is logged as a digest instead.
 */
const KEY_SHAPES: readonly RegExp[] = [
  // OpenAI (`sk-…`, `sk-proj-…`) and Anthropic (`sk-ant-api03-…`) secret keys.
  /(^|[^A-Za-z0-9])sk[-_][A-Za-z0-9_-]{8,}/,
  // AWS access key ids: long-term (AKIA), temporary (ASIA) and the other unique-id prefixes IAM documents.
  /(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}/,
  // Generated secrets (API Gateway API keys, AWS secret access keys, bearer tokens): a long run that mixes
  // upper case, lower case and digits. Lower-case hex ids and UUIDs do not match and stay readable.
  /(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{30,}/,
];

export function looksLikeKey(text: string): boolean {
  return KEY_SHAPES.some((shape) => shape.test(text));
}
