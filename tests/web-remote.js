// SPDX-License-Identifier: MIT
// The browser half of test-web-remote.py: headless Chromium (playwright-core)
// on the web remote at a phone's size, every action checked on chaird's
// retained state topic through a second MQTT connection.  Environment (set by
// test-web-remote.py): WEB_URL, MQTT_URL, BASE, TESTER and OWNER (user:password),
// CHROMIUM, SHOT (screenshot path); NODE_PATH points at web/node_modules.
'use strict';
const { chromium } = require('playwright-core');
const mqtt = require('mqtt');

const env = process.env;
const BASE = env.BASE;
const [testerUser, testerPass] = env.TESTER.split(':');
const [ownerUser, ownerPass] = env.OWNER.split(':');
const STEP_TIMEOUT = 60000;        // generous: 2 shared cores; the page and chaird share them

let failures = 0;
function ok(cond, what) {
  console.log((cond ? 'ok: ' : 'FAIL: ') + what);
  if (!cond) failures++;
  return cond;
}

// The last state chaird published, and waiting for one that satisfies a predicate.
let state = null;
const waiters = [];
function onState(s) {
  state = s;
  for (const w of waiters.slice()) {
    if (w.pred(s)) {
      waiters.splice(waiters.indexOf(w), 1);
      clearTimeout(w.timer);
      w.resolve(s);
    }
  }
}
function waitState(what, pred, timeout = STEP_TIMEOUT) {
  if (state && pred(state)) return Promise.resolve(state);
  return new Promise((resolve, reject) => {
    const w = { pred, resolve };
    w.timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(w), 1);
      reject(new Error('timed out waiting for ' + what + ' (last state: ' + JSON.stringify(state) + ')'));
    }, timeout);
    waiters.push(w);
  });
}

// Nothing wider than the screen: the page does not scroll sideways, and no
// element sticks out on the right (which overflow: hidden somewhere would cut off).
async function noSideScroll(page, where) {
  const m = await page.evaluate(() => {
    const cw = document.documentElement.clientWidth;
    let out = null;
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (!out && r.width > 0 && r.right > cw + 0.5) out = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' reaches ' + Math.round(r.right) + ' px';
    }
    return { sw: document.documentElement.scrollWidth, cw, out };
  });
  ok(m.sw <= m.cw && !m.out, where + ': no horizontal scroll (scrollWidth ' + m.sw + ', width ' + m.cw + (m.out ? ', ' + m.out : '') + ')');
}

async function main() {
  const watcher = await mqtt.connectAsync(env.MQTT_URL, { username: testerUser, password: testerPass, protocolVersion: 5 });
  const simReplies = new Map();
  watcher.on('message', (topic, payload, packet) => {
    if (topic === BASE + '/state') onState(JSON.parse(payload.toString()));
    const corr = packet.properties && packet.properties.correlationData;
    if (topic === BASE + '/reply/web-test' && corr && simReplies.has(corr.toString())) {
      simReplies.get(corr.toString())(JSON.parse(payload.toString()));
    }
  });
  // A plant change, answered by chaird once the control loop has it: commands the
  // page sends afterwards see the change (they share the loop's queue).
  let simSeq = 0;
  const sim = (change) => new Promise((resolve, reject) => {
    const corr = 'sim-' + (++simSeq);
    const timer = setTimeout(() => reject(new Error('no answer to sim/set ' + JSON.stringify(change))), STEP_TIMEOUT);
    simReplies.set(corr, (r) => { clearTimeout(timer); simReplies.delete(corr); ok(r.ok === true, 'sim/set ' + JSON.stringify(change) + ' accepted'); resolve(r); });
    watcher.publish(BASE + '/sim/set', JSON.stringify(change),
      { qos: 1, properties: { responseTopic: BASE + '/reply/web-test', correlationData: Buffer.from(corr) } });
  });
  // The diary's traffic as chaird sends it: `rated` events, and the replies to
  // the page's commands (on <base>/reply, matched here by what they carry).
  const events = [], replies = [];
  const seen = [];
  const wakeSeen = () => { for (const f of seen.slice()) f(); };
  watcher.on('message', (topic, payload) => {
    if (topic === BASE + '/event') { events.push(JSON.parse(payload.toString())); wakeSeen(); }
    if (topic === BASE + '/reply') { replies.push(JSON.parse(payload.toString())); wakeSeen(); }
  });
  const waitIn = (list, what, pred) => new Promise((resolve, reject) => {
    const check = () => {
      const hit = list.find(pred);
      if (!hit) return false;
      seen.splice(seen.indexOf(check), 1);
      clearTimeout(timer);
      resolve(hit);
      return true;
    };
    const timer = setTimeout(() => { seen.splice(seen.indexOf(check), 1); reject(new Error('timed out waiting for ' + what)); }, STEP_TIMEOUT);
    seen.push(check);
    check();
  });
  const waitRated = (what, pred) => waitIn(events, 'the rated event: ' + what, (e) => e.event === 'rated' && pred(e));
  // A command from the tester, answered on its own response topic.
  let askSeq = 0;
  const ask = (cmd) => new Promise((resolve, reject) => {
    const corr = 'ask-' + (++askSeq);
    const timer = setTimeout(() => reject(new Error('no answer to ' + JSON.stringify(cmd))), STEP_TIMEOUT);
    simReplies.set(corr, (r) => { clearTimeout(timer); simReplies.delete(corr); resolve(r); });
    watcher.publish(BASE + '/set', JSON.stringify(cmd),
      { qos: 1, properties: { responseTopic: BASE + '/reply/web-test', correlationData: Buffer.from(corr) } });
  });
  await watcher.subscribeAsync([BASE + '/state', BASE + '/reply/web-test', BASE + '/event', BASE + '/reply'], { qos: 1 });
  await waitState('the retained state', (s) => s.state === 'idle');

  const browser = await chromium.launch({ executablePath: env.CHROMIUM, args: ['--no-sandbox'] });
  let page = null;
  const errors = [];
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(env.WEB_URL);

    // The broker refuses anonymous clients: the page asks for a user name and password.
    const user = page.getByLabel('User name');
    await user.waitFor({ timeout: STEP_TIMEOUT });
    ok(await page.getByRole('heading', { name: 'Sign in to the chair' }).isVisible(), 'asks to sign in when anonymous is refused');
    await user.fill(ownerUser);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The broker refused this user name or password').waitFor({ timeout: STEP_TIMEOUT });
    ok(true, 'a wrong password is refused with a clear message');
    await user.fill(ownerUser);
    await page.getByLabel('Password').fill(ownerPass);
    await page.getByLabel('Remember on this phone').check();
    await page.getByRole('button', { name: 'Sign in' }).click();

    // The only chair opens directly; its programs with descriptions and lengths.
    const lumbar = page.getByRole('radio', { name: 'Lumbar relief', exact: true });
    await lumbar.waitFor({ timeout: STEP_TIMEOUT });
    ok(await page.getByText('Connected', { exact: true }).isVisible(), 'connection state says Connected');
    ok((await page.locator('#programs .prog').count()) >= 7, 'every shipped program is listed');
    ok(await page.getByText('15 minutes').first().isVisible(), 'program lengths are shown');
    await noSideScroll(page, 'start screen');
    await page.screenshot({ path: env.SHOT.replace(/\.png$/, '-start.png'), fullPage: true });

    // Keyboard: Stop is reachable with Tab.
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'stop');
    }
    ok(reached, 'Stop is reachable by keyboard');

    // The pain picker before a start.  A profile that does not exist yet is
    // refused in plain words; without one, 6 by keyboard is kept for the next start.
    const rateCard = page.locator('#rate');
    ok(await page.getByRole('heading', { name: 'How is your back?' }).isVisible(), 'idle: the pain picker is shown');
    ok((await rateCard.getByRole('button', { name: /^Pain \d+$/ }).count()) === 11, 'the picker has Pain 0 .. Pain 10');
    await page.getByLabel('Profile (optional)').fill('nobody');
    await rateCard.getByRole('button', { name: 'Pain 9', exact: true }).click();
    await rateCard.getByText(/^No profile of that name yet: .*\(.+\)$/).waitFor({ timeout: STEP_TIMEOUT });
    ok(true, 'a rating for an unknown profile: the refusal in plain words');
    await page.getByLabel('Profile (optional)').fill('');
    await rateCard.getByRole('button', { name: 'Pain 6', exact: true }).focus();
    await page.keyboard.press('Enter');
    let ev = await waitRated('6 before, pending', (e) => e.pain === 6);
    ok(ev.phase === 'before' && ev.pending === true, 'Pain 6 by keyboard: chaird keeps a "before" for the next start (' + JSON.stringify(ev) + ')');
    ok(!events.some((e) => e.event === 'rated' && e.pain === 9), 'the refused rating reached no diary');
    await rateCard.getByText('Noted: 6 before your next session.').waitFor({ timeout: STEP_TIMEOUT });
    ok(true, 'the page says "Noted: 6 before your next session."');
    await noSideScroll(page, 'start screen with the pain picker');

    await lumbar.check();
    ok((await page.getByLabel('Minutes').inputValue()) === '15', 'picking a program fills its default minutes');
    // The start options, by keyboard where a phone user would tap: 12 minutes,
    // intensity 2 (one arrow left from 3), focus L4.
    await page.locator('#start').getByLabel('Minutes').fill('12');
    await page.getByLabel(/^Intensity/).focus();
    await page.keyboard.press('ArrowLeft');
    await page.locator('#start').getByLabel('Focus on').selectOption('L4');
    await page.getByLabel('Profile (optional)').fill('anna');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    let s = await waitState('a lumbar-relief session', (x) => x.program === 'lumbar-relief' && ['scanning', 'running'].includes(x.state));
    ok(true, 'Start: chaird runs lumbar-relief (state ' + s.state + ')');
    ok(s.intensity === 2 && s.focus === 'L4' && s.remaining_s <= 12 * 60 && s.remaining_s > 11 * 60,
      'Start: intensity 2, focus L4, 12 minutes reach chaird (' + s.intensity + ', ' + s.focus + ', ' + s.remaining_s + ' s)');
    await rateCard.getByText('Noted: 6 before this session.').waitFor({ timeout: STEP_TIMEOUT });
    ok(await rateCard.isVisible(), 'in the session\'s first minutes the picker stays, and the kept 6 is this session\'s');
    ok(await page.locator('#session + #rate').count() === 1, 'during a session the picker comes after the session\'s controls');
    s = await waitState('running', (x) => x.state === 'running' && x.step >= 1);
    await page.getByRole('heading', { name: 'Lumbar relief' }).waitFor({ timeout: STEP_TIMEOUT });
    ok(true, 'the session view shows the program');
    const before = s.intensity;
    await page.getByRole('button', { name: 'More intense', exact: true }).click();
    s = await waitState('intensity ' + (before + 1), (x) => x.intensity === before + 1);
    ok(true, 'More intense: intensity ' + before + ' -> ' + s.intensity);
    await page.getByText(s.intensity + ' of 5', { exact: true }).waitFor({ timeout: STEP_TIMEOUT });

    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await waitState('paused', (x) => x.state === 'paused');
    ok(true, 'Pause: chaird paused');
    await page.getByRole('button', { name: 'Resume', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await waitState('running again', (x) => x.state === 'running');
    ok(true, 'Resume: chaird runs again');

    // +5 minutes (the owner API, design C3): a chaird with it adds the time; one
    // without it answers unknown_action, and the page must say so, not fail silently.
    const leftBefore = state.remaining_s;
    await page.getByRole('button', { name: '+5 minutes' }).click();
    const extended = await Promise.race([
      waitState('5 more minutes', (x) => x.remaining_s > leftBefore + 200).then(() => 'extended', () => null),
      page.locator('#extend:disabled').waitFor({ timeout: STEP_TIMEOUT }).then(() => 'disabled', () => null),
    ]);
    if (!extended) {
      ok(false, '+5 minutes: neither more time on chaird nor a disabled button with a reason');
    } else if (extended === 'disabled') {
      ok(await page.getByText('+5 minutes needs a newer version of the chair\'s software (chaird).').isVisible(), '+5 minutes on a chaird without extend: disabled, and the page says why');
    } else {
      ok(true, '+5 minutes: chaird added the time');
    }

    // The live view: time left, step, rollers on the body map, heater.
    await page.waitForFunction(() => document.getElementById('rollers').getAttribute('visibility') === 'visible');
    const left = await page.locator('#s-left').textContent();
    ok(/^\d+:\d\d$/.test(left), 'time left shown (' + left + ')');
    ok(/step \d+ of \d+/.test(await page.locator('#s-step').textContent()), 'step shown');
    ok(/°C/.test(await page.locator('#s-heat').textContent()), 'heater temperature shown');
    ok(/mm\)$/.test(await page.locator('#s-where').textContent()), 'rollers position shown');
    await noSideScroll(page, 'session screen');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: env.SHOT, fullPage: false });
    console.log('screenshot: ' + env.SHOT);

    // Large text: the same screen at 150 % text size still fits.
    const big = await page.addStyleTag({ content: 'html { font-size: 150% !important; }' });
    await noSideScroll(page, 'session screen at 150 % text');
    await page.screenshot({ path: env.SHOT.replace(/\.png$/, '-large-text.png') });
    await big.evaluate((el) => el.remove());

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await waitState('idle after Stop', (x) => x.state === 'idle');
    ok(true, 'Stop: chaird idle');

    // After the session: 3 goes to it as its "after" (phase auto), the change is -3.
    await rateCard.getByRole('button', { name: 'Pain 3', exact: true }).click();
    ev = await waitRated('3 after', (e) => e.pain === 3);
    ok(ev.phase === 'after' && ev.program === 'lumbar-relief' && ev.change === -3 && ev.profile === 'anna',
      'Pain 3 after the session: rated after, lumbar-relief, change -3, profile anna (' + JSON.stringify(ev) + ')');
    await rateCard.getByText('Noted: 3 after this session (anna). It eased by 3.').waitFor({ timeout: STEP_TIMEOUT });
    ok(true, 'the page says "Noted: 3 after this session (anna). It eased by 3."');

    // The profile: chaird remembers anna's session (diagnostics, which the owner
    // role cannot read, so the tester asks), and a profile alone starts her usual.
    await watcher.subscribeAsync(BASE + '/diagnostics', { qos: 1 });
    const diag = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no diagnostics with the profile anna')), STEP_TIMEOUT);
      const on = (topic, payload) => {
        if (topic !== BASE + '/diagnostics') return;
        const d = JSON.parse(payload.toString());
        const anna = (d.profiles || []).find((p) => p.name === 'anna');
        if (anna) { clearTimeout(timer); watcher.off('message', on); resolve(anna); }
      };
      watcher.on('message', on);
    });
    await watcher.publishAsync(BASE + '/set', JSON.stringify({ action: 'diag' }), { qos: 1 });
    const anna = await diag;
    ok(anna.program === 'lumbar-relief' && anna.intensity === 2, 'profile anna remembers lumbar-relief at intensity 2, as started (' + JSON.stringify(anna) + ')');
    await page.getByRole('radio', { name: 'Lumbar relief', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
    await page.evaluate(() => { for (const r of document.querySelectorAll('input[name=program]')) r.checked = false; });
    await page.getByLabel('Profile (optional)').fill('anna');
    await rateCard.getByRole('button', { name: 'Pain 5', exact: true }).click();
    ev = await waitRated('5 before anna\'s next', (e) => e.pain === 5);
    ok(ev.phase === 'before' && ev.pending === true && ev.profile === 'anna', 'Pain 5 with the profile: a "before" for anna\'s next start');
    await page.getByLabel(/^Intensity/).focus();
    await page.keyboard.press('End');       // 5 on the slider: not sent without a program
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    s = await waitState('anna\'s usual session', (x) => ['scanning', 'running'].includes(x.state));
    ok(s.program === 'lumbar-relief' && s.intensity === 2, 'a profile alone starts its usual (' + s.program + ', intensity ' + s.intensity + ')');
    ok(await rateCard.isVisible(), 'the pain picker stays in the session\'s first minutes');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await waitState('idle after the second Stop', (x) => x.state === 'idle');
    await rateCard.getByRole('button', { name: 'Pain 2', exact: true }).click();
    ev = await waitRated('2 after', (e) => e.pain === 2);
    ok(ev.phase === 'after' && ev.change === -3, 'Pain 2 after the second session: change -3 (' + JSON.stringify(ev) + ')');

    // A third session of the same setting, rated by the tester over MQTT, so that
    // the diary has a suggestion (3 rated, 2 of one setting).
    let r = await ask({ action: 'rate', pain: 5, phase: 'before', profile: 'anna' });
    ok(r.ok === true, 'tester: rate before 5 for anna');
    r = await ask({ action: 'start', profile: 'anna' });
    ok(r.ok === true, 'tester: start anna\'s usual');
    await waitState('the third session', (x) => ['scanning', 'running'].includes(x.state));
    r = await ask({ action: 'stop' });
    await waitState('idle after the third session', (x) => x.state === 'idle');
    r = await ask({ action: 'rate', pain: 2, phase: 'after', profile: 'anna' });
    ok(r.ok === true, 'tester: rate after 2 for anna');

    // The diary: the chart has the rated sessions, as chaird's history reply has them.
    const diaryBtn = page.getByRole('button', { name: 'Show my diary' });
    await diaryBtn.scrollIntoViewIfNeeded();
    await diaryBtn.click();
    const hist = await waitIn(replies, 'the history reply', (x) => x.ok && Array.isArray(x.sessions) && x.profile === 'anna');
    const sug = await waitIn(replies, 'the suggest reply', (x) => x.ok && x.suggestion);
    ok(hist.rated === 3 && hist.sessions.length === 3, 'history for anna: 3 rated sessions (' + hist.rated + ')');
    const first = hist.sessions[0] || {};
    ok(first.program === 'lumbar-relief' && first.pain_before === 6 && first.pain_after === 3 && first.change === -3,
      'history: the first session is lumbar-relief, 6 before, 3 after (' + JSON.stringify(first) + ')');
    const lr = (hist.programs || []).find((p) => p.program === 'lumbar-relief');
    ok(lr && lr.sessions === 3 && lr.median_change === -3, 'history: lumbar-relief median change -3 over 3 (' + JSON.stringify(lr) + ')');
    await page.locator('#diary-chart g.session').nth(2).waitFor({ state: 'attached', timeout: STEP_TIMEOUT });
    const pts = await page.locator('#diary-chart g.session').evaluateAll((gs) => gs.map((g) => [Number(g.dataset.start), Number(g.dataset.before), Number(g.dataset.after)]));
    ok(JSON.stringify(pts) === JSON.stringify(hist.sessions.map((x) => [x.start, x.pain_before, x.pain_after])),
      'the chart has exactly the history\'s sessions (' + JSON.stringify(pts) + ')');
    ok((await page.locator('#line-before').getAttribute('points')).split(' ').length === 3 &&
       (await page.locator('#line-after').getAttribute('points')).split(' ').length === 3, 'the chart draws before and after lines through 3 sessions');
    ok(/^3 rated sessions; the last/.test(await page.locator('#chart-desc').textContent()), 'the chart has a text description');
    ok(await page.locator('#medians').getByText('Lumbar relief: eased by 3 (median of 3 sessions)').isVisible(), 'the median change per program is shown');
    ok(sug.suggestion.program === 'lumbar-relief' && sug.suggestion.intensity === 2, 'suggest: lumbar-relief at intensity 2 (' + JSON.stringify(sug.suggestion) + ')');
    ok((await page.locator('#suggest-reason').textContent()) === sug.suggestion.reason, 'the page shows the suggestion\'s reason (' + sug.suggestion.reason + ')');
    await noSideScroll(page, 'diary');
    await page.locator('#diary').scrollIntoViewIfNeeded();
    await page.locator('#diary-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: env.SHOT.replace(/\.png$/, '-diary.png') });
    console.log('screenshot: ' + env.SHOT.replace(/\.png$/, '-diary.png'));
    const bigDiary = await page.addStyleTag({ content: 'html { font-size: 150% !important; }' });
    await noSideScroll(page, 'diary at 150 % text');
    await bigDiary.evaluate((el) => el.remove());
    await page.getByRole('button', { name: 'Start this' }).click();
    s = await waitState('the suggested session', (x) => ['scanning', 'running'].includes(x.state));
    ok(s.program === 'lumbar-relief' && s.intensity === 2, 'Start this: chaird runs the suggestion (' + s.program + ', intensity ' + s.intensity + ')');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await waitState('idle after the suggested session', (x) => x.state === 'idle');

    // Recline presets work when idle too.
    await page.getByRole('button', { name: 'Zero gravity' }).click();
    await waitState('recline zero-gravity', (x) => x.recline === 'zero-gravity' || x.recline_target === 'zero-gravity');
    ok(true, 'Zero gravity: chaird reclines');
    await page.getByRole('button', { name: 'Upright' }).click();
    await waitState('recline upright', (x) => x.recline === 'upright' || x.recline_target === 'upright');
    ok(true, 'Upright: chaird comes upright');

    // The child lock (C3): a chaird without it answers unknown_action and the page
    // disables Lock with a reason; one with it but no PIN configured refuses with
    // invalid_value, which the page shows.
    const toastBefore = await page.locator('#toast').textContent();
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.waitForFunction((prev) => {
      const t = document.getElementById('toast');
      return !t.hidden && t.textContent !== prev;
    }, toastBefore, { timeout: STEP_TIMEOUT });
    const toastNow = await page.locator('#toast').textContent();
    if (await page.locator('#lock').isDisabled()) {
      ok(toastNow === 'The child lock needs a newer version of the chair\'s software (chaird).',
        'Lock on a chaird without the child lock: disabled, and the page says why');
    } else {
      ok(/\(.+\)/.test(toastNow), 'Lock without a PIN configured: chaird\'s refusal is shown (' + toastNow + ')');
    }

    // An e-stop on the chair: its fault text and what to do, then Clear faults.
    await sim({ estop: true });
    await waitState('the estop fault', (x) => (x.faults || []).some((f) => f.code === 'estop'));
    const alert = page.getByRole('alert');
    await alert.getByText('The stop button on the chair is pressed.').waitFor({ timeout: STEP_TIMEOUT });
    ok(await alert.getByText(/Release the stop button/).isVisible(), 'e-stop: the page says what to do');
    await noSideScroll(page, 'fault screen');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: env.SHOT.replace(/\.png$/, '-fault.png') });
    await sim({ estop: false });
    await page.getByRole('button', { name: 'Clear faults' }).click();
    await waitState('faults cleared', (x) => (x.faults || []).length === 0);
    await alert.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
    ok(true, 'Clear faults: the fault is gone on chaird and on the page');

    // Two chairs on the broker: a second tab without ?chair= (signed in by the
    // remembered login, no form) gets the list, and picking one opens it.  (The
    // other chair is a retained availability only.)
    await watcher.publishAsync('chaird/other/availability', 'online', { qos: 1, retain: true });
    const page2 = await context.newPage();
    page2.on('pageerror', (e) => errors.push(String(e)));
    await page2.goto(env.WEB_URL);
    await page2.getByRole('heading', { name: 'Which chair?' }).waitFor({ timeout: STEP_TIMEOUT });
    ok(await page2.getByRole('link', { name: 'other' }).isVisible(), 'two chairs: the page lists them');
    ok(await page2.locator('#login').isHidden(), 'the remembered login signs the second tab in');
    await page2.getByRole('link', { name: 'test', exact: true }).click();
    await page2.getByRole('radio', { name: 'Lumbar relief', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
    ok(page2.url().endsWith('?chair=test'), 'picking a chair opens it (' + page2.url() + ')');
    await watcher.publishAsync('chaird/other/availability', '', { qos: 1, retain: true });

    ok(errors.length === 0, 'no script errors on the page' + (errors.length ? ': ' + errors.join(' | ') : ''));
  } catch (e) {
    // What the owner would have seen: the page's words and a screenshot.
    if (page) {
      console.log('page connection state: ' + await page.locator('#conn').textContent().catch(() => '?'));
      console.log('page text:\n' + await page.locator('body').innerText().catch(() => '?'));
      await page.screenshot({ path: env.SHOT.replace(/\.png$/, '-failed.png') }).catch(() => {});
    }
    console.log('page errors: ' + (errors.join(' | ') || 'none'));
    throw e;
  } finally {
    await browser.close();
    await watcher.endAsync();
  }
}

main().then(() => {
  console.log(failures ? failures + ' check(s) failed' : 'all checks passed');
  process.exit(failures ? 1 : 0);
}, (e) => {
  console.log('FAIL: ' + (e && e.stack || e));
  process.exit(1);
});
