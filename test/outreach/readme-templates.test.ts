import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { templateCatalogue } from '../../src/outreach/templates.ts';

describe('the README', () => {
  it('shows exactly the templates the code renders', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = /<!-- templates:start -->\n([\s\S]*?)\n<!-- templates:end -->/.exec(readme)?.[1];
    expect(section?.trim()).toBe(templateCatalogue('聊城市车管所', '2026-11-26').trim());
  });
});
