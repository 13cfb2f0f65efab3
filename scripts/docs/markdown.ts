/**
 * Generated regions inside hand-written Markdown: `<!-- name:start -->` ... `<!-- name:end -->`.
 * Everything outside the markers belongs to the authors and is never touched.
 */

const markers = (name: string) => [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`] as const;

/** The text between a region's markers (trimmed), or undefined when the page lacks them. */
export function readRegion(text: string, name: string): string | undefined {
  const [start, end] = markers(name);
  const i = text.indexOf(start);
  const j = text.indexOf(end, i + start.length);
  if (i < 0 || j < 0) {
    return undefined;
  }
  return text.slice(i + start.length, j).trim();
}

/** Replace a region's content; throws naming the region and file when the markers are missing. */
export function writeRegion(text: string, name: string, content: string, file = 'the page'): string {
  const [start, end] = markers(name);
  const i = text.indexOf(start);
  const j = text.indexOf(end, i + start.length);
  if (i < 0 || j < 0) {
    throw new Error(`${file} has no ${start} ... ${end} region to fill`);
  }
  // A region inside a line (a table cell such as README's cost column) stays on that line.
  const lineStart = text.lastIndexOf('\n', i) + 1;
  const inline = !text.slice(i, j).includes('\n') && text.slice(lineStart, i).trim().length > 0;
  if (inline && content.includes('\n')) {
    throw new Error(`${file}: ${start} is inside one line; its content must be one line too (got ${JSON.stringify(content)})`);
  }
  const body = inline ? content.trim() : content.trim().length > 0 ? `\n${content.trim()}\n` : '\n';
  return text.slice(0, i + start.length) + body + text.slice(j);
}

/** The `#`/`##` headings of a page in order (outside fenced code blocks). */
export function headings(text: string): string[] {
  const result: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^(```|~~~)/.test(line)) {
      fenced = !fenced;
    } else if (!fenced && /^#{1,2} /.test(line)) {
      result.push(line.trim());
    }
  }
  return result;
}

/** The section headings every docs/<arch>.md has, in this order (the brief's page layout). */
export const REQUIRED_SECTIONS = [
  '## Diagram',
  '## What gets deployed',
  '## What it codifies from the notes',
  '## Cost',
  '## Prerequisites',
  '## Deploy',
  '## Try it',
  '## How it works',
  '## Security notes and acknowledgements',
  '## Teardown',
] as const;

/**
 * Problems with a page's layout: a missing title, a missing or out-of-order required section,
 * or a generated region outside its section. An empty list means the page is well formed.
 */
export function layoutProblems(text: string): string[] {
  const problems: string[] = [];
  const found = headings(text);
  if (!found[0]?.startsWith('# ')) {
    problems.push('the page must open with a "# <Title>" heading');
  }
  const second = found.filter((h) => h.startsWith('## '));
  let at = -1;
  for (const wanted of REQUIRED_SECTIONS) {
    const i = second.indexOf(wanted);
    if (i < 0) {
      problems.push(`missing section "${wanted}"`);
    } else if (i < at) {
      problems.push(`section "${wanted}" is out of order`);
    } else {
      at = i;
    }
  }
  const sectionOf = (marker: string) => {
    const i = text.indexOf(marker);
    if (i < 0) {
      return undefined;
    }
    const before = text.slice(0, i).split('\n').filter((l) => /^## /.test(l));
    return before[before.length - 1]?.trim();
  };
  for (const [region, section] of [['diagram', '## Diagram'], ['acks', '## Security notes and acknowledgements']] as const) {
    const [start, end] = markers(region);
    if (!text.includes(start) || !text.includes(end)) {
      problems.push(`missing the ${start} / ${end} lines`);
    } else if (sectionOf(start) !== section) {
      problems.push(`${start} must be inside "${section}"`);
    }
  }
  return problems;
}

/** The page's "# Title" text. */
export function titleOf(text: string): string | undefined {
  return headings(text).find((h) => h.startsWith('# '))?.slice(2).trim();
}

/** First sentence of the paragraph under the title, for the README when a stack has no description. */
export function summaryOf(text: string): string | undefined {
  const lines = text.split('\n');
  const title = lines.findIndex((l) => l.startsWith('# '));
  const paragraph: string[] = [];
  for (const line of lines.slice(title + 1)) {
    if (line.trim() === '') {
      if (paragraph.length > 0) {
        break;
      }
      continue;
    }
    if (line.startsWith('#')) {
      break;
    }
    paragraph.push(line.trim());
  }
  const joined = paragraph.join(' ');
  const sentence = joined.match(/^(.+?[.!?])(\s|$)/);
  return (sentence ? sentence[1] : joined) || undefined;
}

/** Escape a value for one Markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
}
