import { element, twiml, type TwimlElement } from './twiml.ts';
import { VOICE_GOODBYE, VOICE_NO_INPUT, voiceAck } from './templates.ts';

/**
 * TwiML for the automated call (issue 3), built by src/outreach/twiml.ts, which escapes what we
 * put in (a surname, a date). Mandarin, spoken slowly; 9 repeats.
 */
const VOICE = { language: 'cmn-CN', voice: 'Polly.Zhiyu' } as const;

/** How many times the script is played in one call, repeats and missed keys included. */
export const MAX_PLAYS = 4;

/** A sentence, spoken slowly for elderly listeners (SSML prosody). */
function say(words: string): TwimlElement {
  return element('Say', VOICE, element('prosody', { rate: 'slow' }, words));
}

const redirect = (url: string) => element('Redirect', { method: 'POST' }, url);
const hangup = () => element('Hangup');

export interface ScriptUrls {
  /** Where the keypress goes (<Gather action>). */
  gather: string;
  /** The script again, for the next play. */
  again: string;
}

/** The script inside a one-key <Gather>; no key: a short prompt and the next play, up to MAX_PLAYS. */
export function scriptTwiml(script: readonly string[], play: number, urls: ScriptUrls): string {
  const gather = element('Gather', { input: 'dtmf', numDigits: 1, timeout: 8, action: urls.gather, method: 'POST', actionOnEmptyResult: false }, ...script.map(say));
  if (play + 1 < MAX_PLAYS) return twiml(gather, say(VOICE_NO_INPUT), redirect(urls.again));
  return twiml(gather, say(VOICE_GOODBYE), hangup());
}

export function ackTwiml(kind: 'confirm' | 'decline' | 'reschedule'): string {
  return twiml(say(voiceAck(kind)), say(VOICE_GOODBYE), hangup());
}

export function redirectTwiml(url: string, prompt: string | null): string {
  return twiml(...(prompt ? [say(prompt)] : []), redirect(url));
}

export function goodbyeTwiml(): string {
  return twiml(say(VOICE_GOODBYE), hangup());
}

export function messagingTwiml(reply: string | null): string {
  return twiml(...(reply ? [element('Message', {}, reply)] : []));
}
