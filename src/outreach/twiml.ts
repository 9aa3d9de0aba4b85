/**
 * TwiML, the XML Twilio reads back from our webhooks: a small builder instead of the SDK's (which
 * loads an XML library at start and is CommonJS for Node only), so that the Worker (issue 17)
 * answers calls with the same bytes. Every text and attribute is escaped: nothing we put in (a
 * surname, a date) can inject markup. test/outreach/twiml.test.ts holds it to the SDK's output.
 */
export interface TwimlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly children: readonly (TwimlElement | string)[];
}

export function element(name: string, attributes: TwimlElement['attributes'] = {}, ...children: (TwimlElement | string)[]): TwimlElement {
  return { name, attributes, children };
}

const TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const ATTRIBUTE: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;' };

const text = (s: string) => s.replace(/[&<>]/g, (c) => TEXT[c]!);
const attribute = (s: string) => s.replace(/[&<"]/g, (c) => ATTRIBUTE[c]!);

function xml(node: TwimlElement | string): string {
  if (typeof node === 'string') return text(node);
  const attributes = Object.entries(node.attributes)
    .map(([k, v]) => ` ${k}="${attribute(String(v))}"`)
    .join('');
  if (node.children.length === 0 || node.children.every((c) => c === '')) return `<${node.name}${attributes}/>`;
  return `<${node.name}${attributes}>${node.children.map(xml).join('')}</${node.name}>`;
}

/** The document: `<Response>` holding the verbs. */
export function twiml(...verbs: TwimlElement[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${xml(element('Response', {}, ...verbs))}`;
}
