import type { TestProject } from 'vitest/node';
import { startFakeTwilioApi } from '../helpers/fake-twilio-api.ts';

/**
 * For the workerd run: what a Worker reaches over the network, run in Node beside it. Twilio's
 * REST API (test/helpers/fake-twilio-api.ts), for the real SDK inside workerd.
 */
export const WORKER_TWILIO = { accountSid: 'AC' + '0123456789abcdef'.repeat(2), authToken: 'test-auth-token-0123456789abcdef' };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const api = await startFakeTwilioApi(WORKER_TWILIO);
  project.provide('twilioApiUrl', api.url);
  return () => api.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    twilioApiUrl: string;
  }
}
