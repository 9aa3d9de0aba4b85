/**
 * The shell blocks of a Markdown text, as the README test runs them. A block whose fence is
 * preceded by the line `<!-- not run by the README test: REASON -->` is left out (the install
 * command: the test starts the server itself, as `npm start`).
 */
export interface ShellBlock {
  heading: string;
  code: string;
  skip: boolean;
}

const SKIP = /^<!-- not run by the README test: .+ -->$/;

export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = /^#{1,6} (.+)$/.exec(line);
    if (h) heading = h[1]!;
    if (line.trim() !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README: the sh block at line ${i + 1} is not closed`);
    blocks.push({ heading, code: lines.slice(i + 1, end).join('\n'), skip: SKIP.test(lines[i - 1]?.trim() ?? '') });
    i = end;
  }
  return blocks;
}

/**
 * One bash script of the blocks not skipped, each announced on stderr. The text is run as
 * written but for the server's port and curl failing on an HTTP error status.
 */
export function walkthroughScript(markdown: string, port: number, leaveOut: readonly string[] = []): string {
  const parts = shellBlocks(markdown)
    .filter((b) => !b.skip && !leaveOut.includes(b.heading))
    .map((b, n) => `echo '### block ${n + 1}: ${b.heading.replace(/'/g, '')}' >&2\n${b.code}`);
  return ['set -euo pipefail', 'set -x', ...parts]
    .join('\n')
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${port}`)
    .replace(/\bcurl -s /g, 'curl -sS --fail-with-body ');
}
