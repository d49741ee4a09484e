/**
 * How a failed Slack post is classified (activities/notifications.ts classifyPostError), on errors
 * shaped as @slack/webhook 7 throws them: any HTTP answer or a connection never opened means "not
 * delivered, retry" (Retry-After honoured); a timeout or reset means "in doubt, never re-post"; the
 * webhook URL never appears in the error text. And the channel → environment variable rule.
 */
import { describe, expect, it } from 'vitest';
import { classifyPostError, InvalidChannelError, webhookEnvName } from '../../activities/notifications';

const URL = 'https://hooks.slack.com/services/T000/B000/sekr3tT0ken';
const httpError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`An HTTP protocol error occurred: statusCode = ${status}`), { code: 'slack_webhook_http_error', original: { response: { status, headers } } });
const requestError = (code: string, message = `connect ${code} ${URL}`) =>
  Object.assign(new Error(`A request error occurred: ${message}`), { code: 'slack_webhook_request_error', original: { code } });

describe('classifyPostError', () => {
  it('an HTTP answer is not delivered; 429 and 503 carry Retry-After', () => {
    expect(classifyPostError(httpError(500), URL)).toMatchObject({ kind: 'not-delivered' });
    expect(classifyPostError(httpError(429, { 'retry-after': '30' }), URL)).toEqual(expect.objectContaining({ kind: 'not-delivered', retryAfterMs: 30_000 }));
    expect(classifyPostError(httpError(503, { 'retry-after': 'soon' }), URL)).not.toHaveProperty('retryAfterMs');
    expect(classifyPostError(httpError(404), URL).error).toMatch(/HTTP 404/);
  });
  it('a connection never opened is not delivered; a timeout or reset is in doubt', () => {
    expect(classifyPostError(requestError('ECONNREFUSED'), URL)).toMatchObject({ kind: 'not-delivered' });
    expect(classifyPostError(requestError('ENOTFOUND'), URL)).toMatchObject({ kind: 'not-delivered' });
    expect(classifyPostError(requestError('ECONNABORTED', 'timeout of 10000ms exceeded'), URL)).toMatchObject({ kind: 'in-doubt' });
    expect(classifyPostError(requestError('ECONNRESET'), URL)).toMatchObject({ kind: 'in-doubt' });
    expect(classifyPostError(new Error('something else'), URL)).toMatchObject({ kind: 'in-doubt' });
  });
  it('never repeats the webhook URL or its secret path', () => {
    const out = classifyPostError(requestError('ECONNREFUSED'), URL).error;
    expect(out).toMatch(/ECONNREFUSED/);
    expect(out).not.toContain('sekr3tT0ken');
    expect(out).not.toContain('/services/T000');
  });
});

describe('webhookEnvName', () => {
  it('names the variable after the channel and refuses odd channel names', () => {
    expect(webhookEnvName('sport')).toBe('NOTIFY_WEBHOOK_URL_SPORT');
    expect(webhookEnvName('sport_team_2')).toBe('NOTIFY_WEBHOOK_URL_SPORT_TEAM_2');
    for (const bad of ['', 'Sport', 'sport-cheers', '1sport', 'a;drop']) expect(() => webhookEnvName(bad), bad).toThrow(InvalidChannelError);
  });
});
