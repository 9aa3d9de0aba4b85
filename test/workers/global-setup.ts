import type { TestProject } from 'vitest/node';
import { startFakeTwilioApi } from '../helpers/fake-twilio-api.ts';
import { WORKER_TWILIO } from './twilio-account.ts';

/**
 * For the workerd run: what a Worker reaches over the network, run in Node beside it. Twilio's
 * REST API (test/helpers/fake-twilio-api.ts), for the real SDK inside workerd.
 */
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
