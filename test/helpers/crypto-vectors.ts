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

/** AES-256-GCM (96-bit IV, no additional data): the batch encryptor's and Node's bytes for each plaintext. */
export const GCM_VECTORS = {
  key: '0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186',
  iv: '05182b3e5164778a9db0c3d6',
  cases: [
    { plain: 'ID-TEST-000000001', body: '29be4e69538f30aabf8b3a8108f0bc6d94', tag: 'f3976cbc9901129551a3c8e06820a208' },
    { plain: '测试姓名', body: '864fe8d5b94981201c5e9a3c', tag: '761b5898385b879e6d0d8692f45f9e50' },
    { plain: '', body: '', tag: 'd68bcaf066688fe35106c4c0b77adddd' },
  ],
} as const;

/**
 * The personal-data cipher under one master key (DATA_KEY, base64): its key id, values it sealed
 * (with random IVs, so only their opening is a vector) and its look-up hashes (HMAC-SHA256's first
 * 53 bits: the short-ASCII path, the general one, and a message longer than a hash block).
 */
export const SEALING_VECTORS = {
  masterKey: 'ZXJ/jJmms8DN2uf0AQ4bKDVCT1xpdoOQnaq3xNHe6/g=',
  keyId: '1a9ba8ba',
  cases: [
    { plain: 'ID-TEST-000000001', sealed: 'v2.1a9ba8ba.z3LrYeIPgq1SU/Zx9PdDsGNw2H8/6FsHM7Zym9CxovN4xK/w72f8/1K4p6Me', hash: 2162617771020390 },
    { plain: '测试姓名', sealed: 'v2.1a9ba8ba.v1ODhbAmP9p5tUiL3qSX+4mZ6OuMbGdzbM5FbKywGI9dwOeCv9ZFOw==', hash: 4205163503853910 },
    { plain: '', sealed: 'v2.1a9ba8ba.TJVPOWa0XBb6KyYeOMuLeoGQotJEwjbMYPcM6Q==', hash: 1329177021752766 },
    { plain: 'x'.repeat(100), sealed: null, hash: 3791676764792293 },
  ],
} as const;
