/**
 * Just enough Markdown reading to check the docs' links: headings and their GitHub anchors, and the links a page
 * makes. Fenced code and inline code are left out first, since `#` and `](` inside them are not Markdown.
 */

/** The page without fenced code blocks (their lines become empty, so line numbers stay). */
export function withoutCode(markdown: string): string {
  let fence: string | null = null;
  return markdown.split("\n").map((line) => {
    const opener = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === null && opener) {
      fence = opener[1][0].repeat(opener[1].length);
      return "";
    }
    if (fence !== null) {
      if (line.trim().startsWith(fence)) fence = null;
      return "";
    }
    return line.replace(/(`+)[^`]*?\1/g, "");
  }).join("\n");
}

/**
 * GitHub's anchor for a heading text: lower case, every character that is not a letter, digit, space, `-` or `_`
 * dropped (inline Markdown such as backticks with it), spaces turned into `-`.
 */
export function githubSlug(heading: string): string {
  return heading
    .replace(/<[^>]+>/g, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Every anchor a page offers: each heading's slug, repeats numbered `-1`, `-2`, ... as GitHub does. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const headings = markdown.split("\n").map((line) => /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1]);
  // Headings are read with their inline code kept (GitHub slugs the code's text); fences still hide `#` lines.
  const codeless = withoutCode(markdown).split("\n");
  headings.forEach((text, i) => {
    if (text === undefined || !/^#{1,6}\s/.test(codeless[i])) return;
    const base = githubSlug(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  });
  return result;
}

export interface Link {
  readonly target: string;
  readonly line: number;
}

/** The links and images of a page (inline form), with their line, outside code. */
export function links(markdown: string): Link[] {
  const found: Link[] = [];
  withoutCode(markdown).split("\n").forEach((line, i) => {
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ target: match[1], line: i + 1 });
    }
  });
  return found;
}
