/** Fenced code blocks of a Markdown document, in order, with their language. */
export function codeBlocks(markdown: string): Array<{ lang: string; code: string; heading: string }> {
  const blocks: Array<{ lang: string; code: string; heading: string }> = [];
  let heading = "";
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of markdown.split("\n")) {
    const fence = /^```(\S*)\s*$/.exec(line);
    if (open) {
      if (fence && fence[1] === "") {
        blocks.push({ lang: open.lang, code: `${open.lines.join("\n")}\n`, heading });
        open = undefined;
      } else open.lines.push(line);
    } else if (fence) open = { lang: fence[1]!, lines: [] };
    else if (/^#{1,6} /.test(line)) heading = line.replace(/^#+\s*/, "");
  }
  return blocks;
}

/** The first block of a language under a heading (or anywhere when `heading` is omitted). */
export function firstBlock(markdown: string, lang: string, heading?: string, source = "README"): string {
  const block = codeBlocks(markdown).find((b) => b.lang === lang && (heading === undefined || b.heading === heading));
  if (!block) throw new Error(`${source}: no \`\`\`${lang} block${heading === undefined ? "" : ` under "${heading}"`}`);
  return block.code;
}

/** The block of a language whose text contains `marker`. */
export function blockContaining(markdown: string, lang: string, marker: string, source = "README"): string {
  const block = codeBlocks(markdown).find((b) => b.lang === lang && b.code.includes(marker));
  if (!block) throw new Error(`${source}: no \`\`\`${lang} block containing ${JSON.stringify(marker)}`);
  return block.code;
}
