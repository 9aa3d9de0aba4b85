import twilio from 'twilio';
import { VOICE_GOODBYE, VOICE_NO_INPUT, voiceAck } from './templates.ts';

/**
 * TwiML for the automated call (issue 3), built with the SDK so that nothing we put in it (a
 * surname, a date) can inject markup. Mandarin, spoken slowly; 9 repeats.
 */
const VOICE = { language: 'cmn-CN', voice: 'Polly.Zhiyu' } as const;

/** How many times the script is played in one call, repeats and missed keys included. */
export const MAX_PLAYS = 4;

function say(node: { say(attributes: typeof VOICE, message: string): { prosody(attributes: { rate: string }, words: string): unknown } }, text: string) {
  // The SSML prosody slows the voice down for elderly listeners.
  node.say(VOICE, '').prosody({ rate: 'slow' }, text);
}

export interface ScriptUrls {
  /** Where the keypress goes (<Gather action>). */
  gather: string;
  /** The script again, for the next play. */
  again: string;
}

/** The script inside a one-key <Gather>; no key: a short prompt and the next play, up to MAX_PLAYS. */
export function scriptTwiml(script: readonly string[], play: number, urls: ScriptUrls): string {
  const response = new twilio.twiml.VoiceResponse();
  const gather = response.gather({ input: ['dtmf'], numDigits: 1, timeout: 8, action: urls.gather, method: 'POST', actionOnEmptyResult: false });
  for (const sentence of script) say(gather, sentence);
  if (play + 1 < MAX_PLAYS) {
    say(response, VOICE_NO_INPUT);
    response.redirect({ method: 'POST' }, urls.again);
  } else {
    say(response, VOICE_GOODBYE);
    response.hangup();
  }
  return response.toString();
}

export function ackTwiml(kind: 'confirm' | 'decline' | 'reschedule'): string {
  const response = new twilio.twiml.VoiceResponse();
  say(response, voiceAck(kind));
  say(response, VOICE_GOODBYE);
  response.hangup();
  return response.toString();
}

export function redirectTwiml(url: string, prompt: string | null): string {
  const response = new twilio.twiml.VoiceResponse();
  if (prompt) say(response, prompt);
  response.redirect({ method: 'POST' }, url);
  return response.toString();
}

export function goodbyeTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  say(response, VOICE_GOODBYE);
  response.hangup();
  return response.toString();
}

export function messagingTwiml(reply: string | null): string {
  const response = new twilio.twiml.MessagingResponse();
  if (reply) response.message(reply);
  return response.toString();
}
