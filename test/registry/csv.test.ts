import { describe, expect, it } from 'vitest';
import { CsvFileError, readCsv, type CsvRecord } from '../../src/registry/csv.ts';

const MB = 1024 * 1024;

function bytesOf(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? new TextEncoder().encode(input) : input;
}

/** Feeds `input` in chunks of `size` bytes (awkward sizes split characters and CRLFs). */
async function* chunked(input: string | Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const bytes = bytesOf(input);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

/** Feeds the given pieces as they are. */
async function* pieces(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield bytesOf(part);
}

async function collect(source: AsyncIterable<Uint8Array>, maxRecordBytes = MB): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const batch of readCsv(source, { maxRecordBytes })) records.push(...batch);
  return records;
}

function read(input: string | Uint8Array, chunkSize = 1 << 16, maxRecordBytes = MB): Promise<CsvRecord[]> {
  return collect(chunked(input, chunkSize), maxRecordBytes);
}

async function fileError(promise: Promise<unknown>): Promise<CsvFileError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CsvFileError);
    return err as CsvFileError;
  }
  throw new Error('expected a CsvFileError');
}

const cellsOf = (records: CsvRecord[]) => records.map((r) => r.cells);
const linesOf = (records: CsvRecord[]) => records.map((r) => r.line);

describe('readCsv: records', () => {
  it('splits lines into cells and numbers them from line 1', async () => {
    const records = await read('a,b,c\n1,2,3\n4,5,6\n');
    expect(cellsOf(records)).toEqual([['a', 'b', 'c'], ['1', '2', '3'], ['4', '5', '6']]);
    expect(linesOf(records)).toEqual([1, 2, 3]);
  });

  it('reads CRLF line endings like LF', async () => {
    expect(await read('a,b\r\n1,2\r\n')).toEqual(await read('a,b\n1,2\n'));
  });

  it('reads a last line without a line break', async () => {
    expect(cellsOf(await read('a,b\n1,2'))).toEqual([['a', 'b'], ['1', '2']]);
    expect(cellsOf(await read('a,b\r\n1,"2"'))).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('keeps empty cells, including a trailing one', async () => {
    expect(cellsOf(await read('a,,c,\n,,,\n'))).toEqual([['a', '', 'c', ''], ['', '', '', '']]);
  });

  it('leaves cells untrimmed (trimming is a validation rule)', async () => {
    expect(cellsOf(await read(' a ,\u3000b\n'))).toEqual([[' a ', '\u3000b']]);
  });

  it('strips a UTF-8 byte order mark', async () => {
    expect(cellsOf(await read('\ufeffa,b\n1,2\n'))).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('strips a byte order mark that arrives one byte at a time', async () => {
    expect(cellsOf(await read('\ufeffa,b\n', 1))).toEqual([['a', 'b']]);
  });

  it('skips blank lines but keeps counting physical lines', async () => {
    const records = await read('a,b\n\n1,2\r\n\r\n   \n\u3000\t\n3,4\n\n');
    expect(cellsOf(records)).toEqual([['a', 'b'], ['1', '2'], ['3', '4']]);
    expect(linesOf(records)).toEqual([1, 3, 7]);
  });

  it('counts a line of commas as a record, not a blank line', async () => {
    expect(cellsOf(await read('a,b\n,\n'))).toEqual([['a', 'b'], ['', '']]);
  });

  it('reports the UTF-8 size of each record, quotes included and line break excluded', async () => {
    const records = await read('张三,"a,b"\r\nx\n');
    expect(records.map((r) => r.bytes)).toEqual([6 + 1 + 5, 1]);
  });

  it('reads a chunk of a megabyte in pieces: small batches, the same records as byte by byte', async () => {
    // Multi-byte characters and quoted line breaks land on every kind of piece boundary.
    const row = (i: number) => `${i},聊城市东昌府区,${i % 7 === 0 ? '"多\n行,""引号"""' : 'x'}\n`;
    const input = `h1,h2,h3\n${Array.from({ length: 20000 }, (_, i) => row(i)).join('')}`;
    expect(bytesOf(input).length).toBeGreaterThan(MB / 2);
    const batches: CsvRecord[][] = [];
    for await (const batch of readCsv(pieces(input), { maxRecordBytes: MB })) batches.push(batch);
    expect(batches.length).toBeGreaterThan(5);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThan(3000);
    const whole = batches.flat();
    expect(whole).toHaveLength(20001);
    expect(whole).toEqual(await read(input, 7));
    expect(whole[8]?.cells).toEqual(['7', '聊城市东昌府区', '多\n行,"引号"']);
    // Row i starts on line 2 + i, plus one line for each quoted line break above it (2,857).
    expect(whole[19999]).toMatchObject({ line: 2 + 19998 + 2857, cells: ['19998', '聊城市东昌府区', 'x'] });
  });

  it('yields records in batches, not one by one', async () => {
    const input = `h1,h2\n${Array.from({ length: 5000 }, (_, i) => `${i},x\n`).join('')}`;
    const batches: CsvRecord[][] = [];
    for await (const batch of readCsv(chunked(input, 1 << 16), { maxRecordBytes: MB })) batches.push(batch);
    expect(batches.length).toBeLessThan(5);
    expect(batches.flat()).toHaveLength(5001);
  });
});

describe('readCsv: quoting (RFC 4180)', () => {
  it('reads quoted fields holding commas and escaped quotes', async () => {
    const records = await read('a,b\n"x,y","say ""hi"""\n"",""""\n');
    expect(cellsOf(records)).toEqual([['a', 'b'], ['x,y', 'say "hi"'], ['', '"']]);
  });

  it('reads quoted line breaks and starts the next record on the right physical line', async () => {
    const records = await read('a,b\n"line 1\nline 2\nline 3",x\n1,2\n"p\r\nq",y\r\n3,4\n');
    expect(cellsOf(records)).toEqual([
      ['a', 'b'],
      ['line 1\nline 2\nline 3', 'x'],
      ['1', '2'],
      ['p\r\nq', 'y'],
      ['3', '4'],
    ]);
    expect(linesOf(records)).toEqual([1, 2, 5, 6, 8]);
  });

  it('reads a quoted field in any position of the record', async () => {
    expect(cellsOf(await read('1,"2",3\n"1",2,"3"\n'))).toEqual([['1', '2', '3'], ['1', '2', '3']]);
  });

  it('reads a quoted field holding only a line break', async () => {
    expect(cellsOf(await read('"\n",x\n'))).toEqual([['\n', 'x']]);
  });
});

describe('readCsv: chunk boundaries', () => {
  const input =
    '\ufeff档案编号,姓名,联系地址\r\n' +
    '000000000001,张三,"山东省聊城市, ""东昌府区""\r\n3号楼"\r\n' +
    '\r\n' +
    '000000000002,李四😀,聊城\r\n' +
    '000000000003,"王\n五",""\r\n' +
    '000000000004,赵六,end';

  it.each([1, 2, 3, 5, 7, 11, 64, 1 << 16])('gives the same records when fed %i bytes at a time', async (size) => {
    const expected = await read(input, 1 << 16);
    expect(cellsOf(expected)).toEqual([
      ['档案编号', '姓名', '联系地址'],
      ['000000000001', '张三', '山东省聊城市, "东昌府区"\r\n3号楼'],
      ['000000000002', '李四😀', '聊城'],
      ['000000000003', '王\n五', ''],
      ['000000000004', '赵六', 'end'],
    ]);
    expect(linesOf(expected)).toEqual([1, 2, 5, 6, 8]);
    expect(await read(input, size)).toEqual(expected);
  });

  it('joins a multi-byte character split across chunks', async () => {
    const bytes = bytesOf('a,张\n');
    // 张 is E5 BC A0: split after its first and second byte.
    expect(cellsOf(await collect(pieces(bytes.slice(0, 3), bytes.slice(3, 4), bytes.slice(4))))).toEqual([['a', '张']]);
  });

  it('joins a CRLF split between two chunks', async () => {
    expect(cellsOf(await collect(pieces('a,b\r', '\n1,2\r', '\n')))).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('joins an escaped quote split between two chunks', async () => {
    expect(cellsOf(await collect(pieces('"a"', '"b",c\n')))).toEqual([['a"b', 'c']]);
  });

  it('accepts empty chunks', async () => {
    expect(cellsOf(await collect(pieces('', 'a,b', '', '\n', '')))).toEqual([['a', 'b']]);
  });
});

describe('readCsv: file errors', () => {
  it('rejects an empty file', async () => {
    const error = await fileError(read(''));
    expect(error).toMatchObject({ code: 'empty_file', line: 1 });
    expect(error.message).toMatch(/empty/);
  });

  it('rejects a file holding only a byte order mark and blank lines', async () => {
    expect(await fileError(read('\ufeff\r\n\n  \n'))).toMatchObject({ code: 'empty_file' });
  });

  it('rejects bytes that are not UTF-8 and names their line', async () => {
    const gbk = Uint8Array.from([0xd5, 0xc5, 0xc8, 0xfd]); // 张三 in GBK
    const input = new Uint8Array([...bytesOf('a,b\n1,2\n3,'), ...gbk, ...bytesOf('\n4,5\n')]);
    for (const size of [1, 7, 1 << 16]) {
      const error = await fileError(read(input, size));
      expect(error).toMatchObject({ code: 'not_utf8', line: 3 });
      expect(error.message).toMatch(/^Line 3: .*UTF-8/);
    }
  });

  it('names the right line when the bad byte follows a character split across chunks', async () => {
    const input = new Uint8Array([...bytesOf('a\n张\n'), 0xff, ...bytesOf('\n')]);
    // Chunks: 'a\n' + first byte of 张 | rest of 张 + '\n' + 0xff.
    const error = await fileError(collect(pieces(input.slice(0, 3), input.slice(3))));
    expect(error).toMatchObject({ code: 'not_utf8', line: 3 });
  });

  it('names the line of a character cut short by the next chunk', async () => {
    const input = new Uint8Array([...bytesOf('a\nb'), 0xe5, ...bytesOf('x\n')]);
    const error = await fileError(collect(pieces(input.slice(0, 4), input.slice(4))));
    expect(error).toMatchObject({ code: 'not_utf8', line: 2 });
  });

  it('rejects a file that ends inside a multi-byte character', async () => {
    const input = new Uint8Array([...bytesOf('a,b\n1,'), 0xe5, 0xbc]);
    expect(await fileError(read(input))).toMatchObject({ code: 'not_utf8', line: 2 });
  });

  it.each([
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a stray continuation byte', [0x80]],
  ])('rejects %s', async (_name, bad) => {
    const input = new Uint8Array([...bytesOf('a\n'), ...bad, ...bytesOf('\n')]);
    expect(await fileError(read(input))).toMatchObject({ code: 'not_utf8', line: 2 });
  });

  it('rejects a quoted field never closed, naming the line where it opens', async () => {
    const input = 'a,b\n1,2\n3,"open\nstill open\n';
    for (const size of [1, 7, 1 << 16]) {
      const error = await fileError(read(input, size));
      expect(error).toMatchObject({ code: 'unbalanced_quote', line: 3 });
      expect(error.message).toMatch(/^Line 3: unbalanced quote/);
    }
  });

  it('rejects a quote inside an unquoted field', async () => {
    for (const size of [1, 7, 1 << 16]) {
      expect(await fileError(read('a,b\n1,2\nx,ab"c\n', size))).toMatchObject({ code: 'unbalanced_quote', line: 3 });
    }
  });

  it('rejects a quote after a space at the start of a field', async () => {
    expect(await fileError(read('a,b\n1, "2"\n'))).toMatchObject({ code: 'unbalanced_quote', line: 2 });
  });

  it('rejects characters after a closing quote', async () => {
    for (const size of [1, 7, 1 << 16]) {
      expect(await fileError(read('a,b\n"x"y,z\n', size))).toMatchObject({ code: 'unbalanced_quote', line: 2 });
    }
  });

  it('names the physical line of a stray quote inside a multi-line record', async () => {
    expect(await fileError(read('a,b\n"1\n2",x"y\n'))).toMatchObject({ code: 'unbalanced_quote', line: 3 });
  });

  it('accepts a record of exactly maxRecordBytes and rejects one byte more', async () => {
    const row = `${'x'.repeat(50)},${'张'.repeat(10)}`; // 50 + 1 + 30 = 81 bytes
    // With 7-byte chunks the first chunk boundary after the row falls between its CR and LF: the
    // pending CR must not count towards the record.
    expect(await read(`h\n${row}\r\n`, 7, 81)).toHaveLength(2);
    const error = await fileError(read(`h\n${row}x\r\n`, 7, 81));
    expect(error).toMatchObject({ code: 'record_too_large', line: 2 });
    expect(error.message).toMatch(/^Line 2: .*81 bytes/);
  });

  it('rejects a long quoted record spanning lines', async () => {
    const error = await fileError(read(`h\n"${'a\n'.repeat(100)}"\n`, 16, 100));
    expect(error).toMatchObject({ code: 'record_too_large', line: 2 });
  });

  it('stops a 50 MB line early, without reading it all', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x61); // 'a', no line break
    let pulled = 0;
    async function* huge(): AsyncGenerator<Uint8Array> {
      yield bytesOf('header\n');
      for (let i = 0; i < (50 * MB) / chunk.length; i++) {
        pulled++;
        yield chunk;
      }
    }
    const error = await fileError(collect(huge(), MB));
    expect(error).toMatchObject({ code: 'record_too_large', line: 2 });
    expect(pulled).toBeLessThanOrEqual(MB / chunk.length + 1);
  });

  it('stops an unclosed quote early instead of reading to the end of the file', async () => {
    let pulled = 0;
    async function* rows(): AsyncGenerator<Uint8Array> {
      yield bytesOf('h1,h2\n1,"never closed\n');
      for (let i = 0; i < 100_000; i++) {
        pulled++;
        yield bytesOf('2,some text\n');
      }
    }
    const error = await fileError(collect(rows(), 1000));
    expect(error).toMatchObject({ code: 'record_too_large', line: 2 });
    expect(pulled).toBeLessThan(100);
  });

  it('never puts cell contents in an error message', async () => {
    const secret = '11010519491231002X';
    const inputs = [
      `a,b\n${secret},x"y\n`,
      `a,b\n"${secret}"z,1\n`,
      `a,b\n"${secret}\n`,
      `a,b\n${secret}${'9'.repeat(200)}\n`,
    ];
    for (const input of inputs) {
      const error = await fileError(read(input, 1 << 16, 100));
      expect(error.message).not.toContain(secret);
      expect(error.message).not.toContain('1101051949');
    }
  });
});
