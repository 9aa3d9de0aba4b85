import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/**
 * The password of `cli staff add --password` and `cli staff password` (Node only). Never an
 * argument: the command line shows in `ps` and in the shell's history. Piped: the first line of
 * standard input. On a terminal: asked twice, without echo.
 */
export class PasswordInputError extends Error {
  constructor(readonly reason: 'missing' | 'mismatch') {
    super(reason === 'missing' ? 'no password on standard input' : 'the two passwords differ');
  }
}

export async function readNewPassword(
  prompts: { first: string; again: string },
  input: Readable & { isTTY?: boolean } = process.stdin,
  output: Writable = process.stderr,
): Promise<string> {
  if (!input.isTTY) {
    const line = await firstLine(input);
    if (line === null || line === '') throw new PasswordInputError('missing');
    return line;
  }
  const first = await askHidden(prompts.first, input, output);
  const again = await askHidden(prompts.again, input, output);
  if (first !== again) throw new PasswordInputError('mismatch');
  if (first === '') throw new PasswordInputError('missing');
  return first;
}

/** The first line of a stream (without its line ending), or null if it ends before any. */
export async function firstLine(input: Readable): Promise<string | null> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
    return null;
  } finally {
    lines.close();
  }
}

/** One line typed on a terminal, echo off (raw mode: each key read, nothing written back). */
function askHidden(prompt: string, input: Readable & { isTTY?: boolean }, output: Writable): Promise<string> {
  const tty = input as Readable & { setRawMode?: (on: boolean) => void };
  output.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (result: () => void) => {
      input.off('data', onData);
      tty.setRawMode?.(false);
      input.pause();
      output.write('\n');
      result();
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(typed));
        if (ch === '\u0003') return done(() => reject(new Error('interrupted')));
        if (ch === '\u007f' || ch === '\b') typed = Array.from(typed).slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    tty.setRawMode?.(true);
    input.resume();
    input.on('data', onData);
  });
}
