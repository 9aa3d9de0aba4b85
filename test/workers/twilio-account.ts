/** The Twilio account of the workerd run's fake REST API (global-setup.ts starts it; tests sign in as it). */
export const WORKER_TWILIO = { accountSid: 'AC' + '0123456789abcdef'.repeat(2), authToken: 'test-auth-token-0123456789abcdef' };
