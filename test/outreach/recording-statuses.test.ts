import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportRecordedStatuses } from '../../src/outreach/compose.ts';
import { runWebhook, webhookAccountSid } from '../../src/outreach/webhooks.ts';
import { createRecordingTelephony, type RecordingTelephony } from '../../src/outreach/recording-telephony.ts';
import { statusRank } from '../../src/outreach/status.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { runSteps, seedDrivers, startOutreach } from '../helpers/outreach.ts';

// Issue 14: the recording adapter (no Twilio account) moves what it "sent" on as Twilio would,
// through the status callbacks' own path, so that a demo's timeline completes.
describe('the recording adapter reports statuses', () => {
  let t: TestApp;
  let recording: RecordingTelephony;
  const seen: string[][] = [];

  beforeAll(async () => {
    t = await createTestApp({
      telephony: (clock) => {
        recording = createRecordingTelephony(silentLogger, clock, 10);
        return recording;
      },
    });
    await seedDrivers(t, [
      ['100000000001', { phone: '138 0000 0001', name: '王建国', sex: 'M' }],
      ['100000000002', { phone: '0635-8123456', name: '李秀英', sex: 'F' }],
    ]);
  });
  afterAll(() => t.cleanup());

  it('an SMS goes queued, sent, delivered and a call queued to completed, each once, never backwards', async () => {
    // The reports wait for a gate here, so "right after the send" does not depend on speed; they
    // then take the very function the status webhooks call after their checks.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    recording.reportStatusesTo(async (kind, params) => {
      await gate;
      return runWebhook(t.deps, kind, params);
    }, webhookAccountSid(t.deps.config));
    await startOutreach(t);
    expect((await runSteps(t)).sent).toBe(2);
    // Right after the send: what Twilio answers when it takes one.
    const taken = await t.deps.db.selectFrom('messages').select(['channel', 'status']).where('direction', '=', 'out').orderBy('channel').execute();
    expect(taken).toEqual([
      { channel: 'sms', status: 'queued' },
      { channel: 'voice', status: 'queued' },
    ]);
    open();
    await recording.settle();
    const settled = await t.deps.db.selectFrom('messages').select(['channel', 'status', 'provider_sid']).where('direction', '=', 'out').orderBy('channel').execute();
    expect(settled.map((m) => [m.channel, m.status])).toEqual([
      ['sms', 'delivered'],
      ['voice', 'completed'],
    ]);
    // Each report went through the webhook path: stored once as an event, in the order Twilio uses.
    const events = await t.deps.db.selectFrom('webhook_events').select(['kind', 'dedupe_key']).orderBy('received_at').execute();
    for (const m of settled) seen.push(events.filter((e) => e.dedupe_key.includes(m.provider_sid!)).map((e) => e.dedupe_key.split(':').pop()!));
    expect(seen).toEqual([
      ['sent', 'delivered'],
      ['ringing', 'in-progress', 'completed'],
    ]);
    for (const statuses of seen) expect(statuses.map(statusRank)).toEqual([...statuses.map(statusRank)].sort((a, b) => a - b));
  });

  it('lists the messages with the number as people write it beside E.164', async () => {
    const res = await t.request('/api/outreach/messages?channel=voice');
    const body = (await res.json()) as { items: { phone: string; phoneDisplay: string }[] };
    expect(body.items[0]).toMatchObject({ phone: '+866358123456', phoneDisplay: '0635-8123456' });
  });

  it('shows delivered in the driver timeline', async () => {
    const res = await t.request('/api/outreach/drivers/100000000001/timeline');
    const body = (await res.json()) as { items: { kind: string; purpose?: string; status?: string }[] };
    expect(body.items.find((i) => i.kind === 'message' && i.purpose === 'notice')?.status).toBe('delivered');
  });

  it('is wired by the composition root to the same path, and reports a later send too', async () => {
    reportRecordedStatuses(t.deps);
    const taken = await recording.sendSms({ to: '+8613800000001', body: 'x', statusCallback: 'https://checkup.example.test/twilio/message-status' });
    await recording.settle();
    // No message row has this sid: the status path keeps the reports for the recovery pass, as it does Twilio's.
    const kept = await t.deps.db.selectFrom('webhook_events').select('dedupe_key').where('dedupe_key', 'like', `%${taken.sid}%`).execute();
    expect(kept.map((e) => e.dedupe_key).sort()).toEqual([`message_status:${taken.sid}:delivered`, `message_status:${taken.sid}:sent`]);
  });
});
