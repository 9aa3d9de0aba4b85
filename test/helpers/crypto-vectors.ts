/**
 * Cross-runtime vectors (issue 17): answers computed once by the reference (the twilio SDK on
 * Node) that every runtime's implementation must give, byte for byte.
 */
/** X-Twilio-Signature: token, URL and parameters, and the SDK's signature of them. */
export const SIGNATURE_VECTORS = [
  {
    token: '12345',
    url: 'https://example.org/twilio/sms?x=1',
    params: { Body: '确认 1', From: '+8613800000000', MessageSid: 'SM00000000000000000000000000000000', To: '+8610690000' },
    signature: '8l7ho2LYF3zN27gL57R8OxEIAjM=',
  },
  { token: 'tok-€', url: 'http://127.0.0.1:3000/twilio/voice', params: { Digits: ['2', '1', '2'], CallSid: 'CA0' }, signature: '8BvjlOomyVZy6c+8O6e5FRBlZJ8=' },
] as const;
