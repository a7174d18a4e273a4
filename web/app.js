// SPDX-License-Identifier: MIT
// The owner's web remote for chaird (docs/remote.md, design C5).
//
// One MQTT-over-WebSockets connection to the broker that served this page
// (same host and port, path "/"), through the mqtt.js browser bundle in
// vendor/.  It finds chairs by their retained chaird/+/availability, opens the
// only one (or ?chair=ID), renders <base>/state, <base>/programs and
// <base>/event, and sends JSON commands on <base>/set, matching each answer on
// <base>/reply by its "id".
//
// Today's API first: "More intense" sends {"action":"set","intensity":N} with N
// computed from the state, which every chaird understands.  Only what has no
// older form uses the owner API of design C3 (extend, skip, lock, unlock); a
// chaird without it answers unknown_action and the control then says it needs
// a newer chaird instead of failing silently.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);

  // ---- words ---------------------------------------------------------------
  // Faults: what happened, and what the owner does about it (docs/safety.md).
  const FAULTS = {
    estop: ['The stop button on the chair is pressed.', 'Release the stop button (turn or pull it), then press Clear faults.'],
    pinch: ['Something was caught by a moving part.', 'Free it and make sure nothing is in the way, then press Clear faults.'],
    obstacle: ['Something is under the chair.', 'Clear the space under the chair; the recline moves again once it is free.'],
    not_occupied: ['Nobody is seated.', 'Sit down; a paused session goes on when you press Resume.'],
    heater_sensor: ['The heater\'s temperature sensor failed.', 'The massage goes on without heat. If this stays, call service.'],
    heater_overtemp: ['The heater got too hot and was switched off.', 'Let it cool down, then press Clear faults. If it happens again, call service.'],
    roller_stall: ['The rollers are blocked.', 'Make sure nothing blocks the rollers (a cushion, a blanket), then press Clear faults.'],
    travel_timeout: ['A motor took too long to reach its position.', 'Make sure nothing blocks the chair, then press Clear faults. If it happens again, call service.'],
    encoder_fault: ['The rollers\' position sensor failed.', 'Press Clear faults. If it happens again, call service.'],
    overpressure: ['An airbag pressure was too high and was released.', 'Press Clear faults. If it happens again, call service.'],
    loop_overrun: ['The chair\'s controller fell behind and stopped everything.', 'Press Clear faults. If it happens again, call service.'],
    hal_io: ['The controller lost contact with the chair\'s hardware.', 'Call service; restarting the chair may help.'],
  };
  // Refusals: the daemon's message is precise but technical; say what to do.
  const REFUSALS = {
    busy: 'A session is already running.',
    not_occupied: 'Sit down first: the chair starts only with someone seated.',
    fault_active: 'A fault is active: fix its cause (see above), then press Clear faults.',
    rate_limited: 'Too many commands at once; wait a second and try again.',
    not_running: 'No session is running.',
    obstacle: 'Something is under the chair: clear it, then try again.',
    unsupported: 'This chair has no such part or feature.',
    locked: 'The child lock is on: unlock it first.',
    unknown_program: 'The chair does not know this program.',
    unknown_profile: 'No profile of that name.',
    internal: 'The chair did not answer in time; try again.',
    no_suggestion: 'No suggestion yet.',
  };
  // Owner-API (design C3) controls, for "needs a newer chaird".
  const FEATURES = { extend: '+5 minutes', skip: 'Next step', lock: 'The child lock' };
  const LANDMARKS = ['C7', 'T10', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5', 'S1'];
  const LANDMARK_WORDS = {
    C7: 'C7 – base of the neck', T10: 'T10 – middle back', T12: 'T12 – lowest rib',
    L1: 'L1 – top of the lower back', L2: 'L2', L3: 'L3 – lower back', L4: 'L4 – lower back',
    L5: 'L5 – base of the spine', S1: 'S1 – sacrum',
  };
  const PHASES = { scanning: 'Measuring your back…', running: 'Running', paused: 'Paused', ending: 'Finishing…' };
  const ENDED = { completed: 'The session is over.', stopped: 'Stopped.', fault: 'The session ended on a fault.',
    left: 'The session ended: nobody was seated.', shutdown: 'The chair shut down.', switched: 'Switched program.' };
  const IN_SESSION = ['scanning', 'running', 'paused', 'ending'];
  // The pain diary's refusals (docs/pain-diary.md), in the owner's words.
  const RATE_REFUSALS = {
    no_session: 'There is no session to rate now: rate before a start, in a session\'s first 5 minutes, or within an hour after it ends.',
    unknown_profile: 'No profile of that name yet: a profile is made by its first session. Clear the profile field to rate without one.',
    unsupported: 'This chair keeps no diary (it has no state directory).',
    locked: 'The child lock is on: unlock it first.',
    unknown_action: 'The diary needs a newer version of the chair\'s software (chaird).',
  };
  // chaird takes a "before" rating during the first 5 minutes of massage.
  const BEFORE_WINDOW_S = 300;

  // The chair's geometry as shipped (config defaults): the carriage's 0 mm is
  // SEAT_OFFSET above the seat, the track is TRACK mm long, and a 175 cm
  // occupant's shoulder line lies at DEFAULT_SHOULDER mm until a body scan
  // (event scan_done) says where it really is.
  const TRACK = 780, SEAT_OFFSET = 60, DEFAULT_SHOULDER = 552;

  // ---- app state -----------------------------------------------------------
  let client = null;
  let chairId = params.get('chair');
  let base = null;
  const chairs = new Map();          // id -> "online" | "offline"
  let programs = [];
  let st = null;                     // the last <base>/state
  let shoulderMm = null;
  let online = null;
  let seq = 0;
  const pending = new Map();         // command id -> {resolve, timer}
  const unsupported = new Set();     // C3 actions this chaird answered unknown_action
  const dirty = new Set();           // start options the owner changed (kept when picking a program)
  let pickTimer = null;
  let listRefused = false;
  let pendingBefore = null;          // a "before" rating chaird keeps for the next start
  const clientTag = Math.random().toString(36).slice(2, 10);

  // ---- connection ----------------------------------------------------------
  function brokerUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return scheme + '//' + location.host + '/';
  }

  function credentials() {
    const raw = sessionStorage.getItem('chaird-login') || localStorage.getItem('chaird-login');
    try { return raw ? JSON.parse(raw) : null; } catch (e) { return null; }
  }

  function setConn(text, kind) {
    const c = $('conn');
    c.textContent = text;
    c.dataset.kind = kind;
  }

  function connect() {
    if (chairId !== null && !/^[^/#+]{1,64}$/.test(chairId)) {
      setConn('?chair= needs a chair id (no /, # or +)', 'bad');
      return;
    }
    if (!location.host) {
      setConn('Open this page from the chair\'s broker (http://HOST:PORT/)', 'bad');
      return;
    }
    const login = credentials();
    const opts = {
      protocolVersion: 5, clean: true, keepalive: 30, reconnectPeriod: 2000, connectTimeout: 10000,
      clientId: 'chaird-web-' + clientTag, resubscribe: true,
    };
    if (login) { opts.username = login.user; opts.password = login.pass; }
    setConn('Connecting…', 'wait');
    client = mqtt.connect(brokerUrl(), opts);
    client.on('connect', onConnect);
    client.on('message', onMessage);
    client.on('reconnect', () => setConn('Connecting…', 'wait'));
    client.on('offline', () => setConn('No connection – retrying…', 'bad'));
    client.on('close', () => { if (client && !client.disconnecting) setConn('No connection – retrying…', 'bad'); });
    client.on('error', onError);
  }

  function onError(err) {
    // CONNACK refusals: 134 bad user name or password, 135 not authorized
    // (MQTT 5); 4 and 5 are the same in 3.1.1.
    if ([4, 5, 134, 135].includes(err && err.code)) {
      const c = client;
      client = null;
      c.end(true);
      sessionStorage.removeItem('chaird-login');
      const had = credentials() !== null || $('user').value !== '';
      localStorage.removeItem('chaird-login');
      setConn('Sign-in needed', 'bad');
      $('login-why').textContent = had ? 'The broker refused this user name or password. Try again.'
        : 'This chair\'s broker asks for a user name and password.';
      show('login', true);
      $('user').focus();
      return;
    }
    setConn('Connection problem: ' + ((err && err.message) || err), 'bad');
  }

  function onConnect() {
    show('login', false);
    setConn(base ? 'Connected' : 'Connected – looking for chairs…', 'ok');
    client.subscribe('chaird/+/availability', { qos: 1 }, (err, granted) => {
      // A broker whose ACL does not let this user list chairs refuses the
      // subscription (0x80 or more): only ?chair=ID can open one then.
      listRefused = !!err || !granted || !granted[0] || granted[0].qos >= 128;
      if (!base) pickChairSoon();
    });
    if (base) subscribeChair();
  }

  // Retained availability messages arrive right after the SUBACK: give them a
  // moment, then open the only chair or show the list.
  function pickChairSoon() {
    clearTimeout(pickTimer);
    pickTimer = setTimeout(pickChair, 400);
  }

  function pickChair() {
    if (base) return;
    if (chairId) {
      openChair(chairId);
      return;
    }
    const ids = [...chairs.keys()];
    if (ids.length === 1) {
      openChair(ids[0]);
      return;
    }
    renderPicker();
  }

  function renderPicker() {
    const ul = $('chairs');
    ul.replaceChildren();
    for (const [id, avail] of [...chairs.entries()].sort()) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = '?chair=' + encodeURIComponent(id);
      a.textContent = id + (avail === 'online' ? '' : ' (offline)');
      li.append(a);
      ul.append(li);
    }
    $('picker-none').textContent = listRefused
      ? 'This user may not list the chairs on this broker: open the page with ?chair=ID (the chair\'s id).'
      : 'No chair has announced itself on this broker yet. Waiting…';
    $('picker-none').hidden = chairs.size > 0;
    show('picker', true);
    setConn(chairs.size ? 'Connected – pick a chair' : 'Connected – no chair found yet', chairs.size ? 'ok' : 'wait');
  }

  function openChair(id) {
    chairId = id;
    base = 'chaird/' + id;
    $('title').textContent = 'Chair ' + id;
    show('picker', false);
    subscribeChair();
    render();
  }

  function subscribeChair() {
    client.subscribe([base + '/state', base + '/programs', base + '/event', base + '/reply'], { qos: 1 });
  }

  function onMessage(topic, payload) {
    const text = new TextDecoder().decode(payload);
    const parts = topic.split('/');
    if (parts.length === 3 && parts[0] === 'chaird' && parts[2] === 'availability') {
      if (text === '') chairs.delete(parts[1]);      // a cleared retained message: no chair
      else chairs.set(parts[1], text);
      if (base === 'chaird/' + parts[1]) {
        // Back online after a restart: maybe a newer chaird, ask again.
        if (text === 'online' && online === false) unsupported.clear();
        online = text === 'online';
        render();
      } else if (!base) {
        pickChairSoon();
      }
      return;
    }
    if (!base || !topic.startsWith(base + '/')) return;
    let msg;
    try { msg = JSON.parse(text); } catch (e) { return; }
    const sub = topic.slice(base.length + 1);
    if (sub === 'state') { st = msg; render(); }
    else if (sub === 'programs' && Array.isArray(msg)) { programs = msg; renderPrograms(); }
    else if (sub === 'event') onEvent(msg);
    else if (sub === 'reply') onReply(msg);
  }

  function onEvent(ev) {
    if (ev.event === 'scan_done' && typeof ev.shoulder_mm === 'number') {
      shoulderMm = ev.shoulder_mm;
      render();
    } else if (ev.event === 'session_started') {
      shoulderMm = null;
      // A "before" kept for the next start now belongs to this one.
      resetRate(pendingBefore !== null ? 'Noted: ' + pendingBefore + ' before this session.' : '', pendingBefore);
    } else if (ev.event === 'session_ended') {
      toast(ENDED[ev.reason] || 'The session ended.');
      resetRate('', null);
    } else if (ev.event === 'rated') {
      onRated(ev);
    }
  }

  // ---- commands ------------------------------------------------------------
  function send(cmd) {
    if (!client || !client.connected || !base) {
      toast('Not connected to the chair.');
      return Promise.resolve(null);
    }
    const id = 'web-' + clientTag + '-' + (++seq);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        toast('The chair did not answer. Check that it is switched on.');
        resolve(null);
      }, 10000);
      pending.set(id, { resolve, timer });
      // A short expiry: a command held back by a broken link must not act minutes later.
      client.publish(base + '/set', JSON.stringify(Object.assign({}, cmd, { id })),
        { qos: 1, properties: { messageExpiryInterval: 10 } });
    });
  }

  function onReply(r) {
    const p = r && pending.get(r.id);
    if (!p) return;                  // another app's answer
    pending.delete(r.id);
    clearTimeout(p.timer);
    p.resolve(r);
  }

  // Send, and say in plain words when the chair refuses.  `feature` names a C3
  // action that an older chaird does not know.
  async function command(cmd, feature) {
    const r = await send(cmd);
    if (!r || r.ok) return r;
    const code = r.error && r.error.code;
    if (feature && code === 'unknown_action') {
      unsupported.add(feature);
      render();
      toast(FEATURES[feature] + ' needs a newer version of the chair\'s software (chaird).');
      return r;
    }
    toast((REFUSALS[code] ? REFUSALS[code] + ' ' : '') + '(' + ((r.error && r.error.message) || code) + ')');
    return r;
  }

  // ---- rendering -----------------------------------------------------------
  function show(id, on) { $(id).hidden = !on; }

  let toastTimer = null;
  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 8000);
  }

  function fmtTime(s) {
    if (typeof s !== 'number' || !isFinite(s) || s < 0) return '–';
    s = Math.round(s);
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  function words(s) {
    return s ? String(s).replace(/[-_]/g, ' ').replace(/^./, (c) => c.toUpperCase()) : '–';
  }

  function inSession() { return st && IN_SESSION.includes(st.state); }

  function render() {
    if (!base) return;
    const connected = client && client.connected;
    if (connected) {
      if (online === false) setConn('Chair offline', 'bad');
      else if (st) setConn('Connected', 'ok');
      else setConn('Connected – waiting for the chair…', 'wait');
    }
    renderFaults();
    const session = inSession();
    show('session', !!session);
    show('start', !session);
    show('chair-ctl', !!st);
    if (session) renderSession();
    renderStart();
    renderChairCtl();
    renderRate();
    show('diary', !!st);
  }

  function renderFaults() {
    const faults = (st && st.faults) || [];
    show('faults', faults.length > 0);
    const ul = $('fault-list');
    ul.replaceChildren();
    for (const f of faults) {
      const [what, todo] = FAULTS[f.code] || [f.message || f.code, 'Press Clear faults. If it happens again, call service.'];
      const li = document.createElement('li');
      const w = document.createElement('span');
      w.className = 'what';
      w.textContent = what + ' ';
      const t = document.createElement('span');
      t.textContent = todo;
      li.append(w, t);
      if (f.message && FAULTS[f.code]) {
        const m = document.createElement('span');
        m.className = 'muted small';
        m.textContent = ' (' + f.message + ')';
        li.append(m);
      }
      ul.append(li);
    }
    const latched = (st && st.faults_latched) || [];
    $('clear-faults').hidden = faults.length === 0 || (latched.length === 0 && faults.every((f) => f.code === 'not_occupied'));
  }

  function renderSession() {
    $('s-program').textContent = st.program_name || st.program || 'Session';
    $('s-phase').textContent = PHASES[st.state] || '';
    $('s-step').textContent = st.steps && st.step >= 1 ? '· step ' + st.step + ' of ' + st.steps : '';
    $('s-left').textContent = fmtTime(st.remaining_s);
    const total = (st.elapsed_s || 0) + (st.remaining_s || 0);
    $('s-progress').value = total > 0 ? (st.elapsed_s || 0) / total : 0;
    $('s-tech').textContent = words(st.technique);
    $('s-intensity').textContent = (st.intensity || '–') + ' of 5';
    const h = st.heat || {};
    const temp = typeof h.temp_c === 'number' ? h.temp_c.toFixed(1) + ' °C' : 'no reading';
    $('s-heat').textContent = h.on ? 'On, ' + temp + (typeof h.target_c === 'number' ? ' (to ' + h.target_c.toFixed(0) + ' °C)' : '') : 'Off, ' + temp;
    const heatBtn = $('s-heat-toggle');
    heatBtn.setAttribute('aria-pressed', h.on ? 'true' : 'false');
    heatBtn.textContent = h.on ? 'Heat on' : 'Heat off';
    const paused = st.state === 'paused';
    show('pause', !paused);
    show('resume', paused);
    $('more').disabled = st.intensity >= 5;
    $('less').disabled = st.intensity <= 1;
    for (const [id, feature] of [['extend', 'extend'], ['skip', 'skip']]) {
      $(id).disabled = unsupported.has(feature);
      $(id).title = unsupported.has(feature) ? 'Needs a newer chaird' : '';
    }
    const sf = $('s-focus');
    if (document.activeElement !== sf) sf.value = st.focus || '';
    renderMap();
  }

  // The body map: carriage millimetres to SVG y.  The track spans y 400 (the
  // seat end, SEAT_OFFSET above the seat) to y 20; the figure is scaled so its
  // shoulder line sits at the measured (or default) shoulder height.
  function yOf(mm) {
    const k = 380 / (TRACK + SEAT_OFFSET);
    return 400 - (mm + SEAT_OFFSET) * k;
  }

  function region(mm, shoulder) {
    const f = (mm + SEAT_OFFSET) / (shoulder + SEAT_OFFSET);
    if (f > 0.97) return 'shoulders and neck';
    if (f > 0.7) return 'upper back';
    if (f > 0.48) return 'middle back';
    if (f > 0.2) return 'lower back';
    return 'hips';
  }

  function renderMap() {
    const shoulder = shoulderMm || DEFAULT_SHOULDER;
    const seatY = yOf(-SEAT_OFFSET);
    const s = (seatY - yOf(shoulder)) / 100;
    $('body-fig').setAttribute('transform', 'translate(100 ' + seatY.toFixed(1) + ') scale(' + s.toFixed(3) + ')');
    // Landmarks when the state carries them ({"C7": mm, ...}); chaird 1.x does not.
    const lm = $('landmarks');
    lm.replaceChildren();
    const marks = st.landmarks && typeof st.landmarks === 'object' ? st.landmarks : null;
    if (marks) {
      const ns = 'http://www.w3.org/2000/svg';
      for (const name of LANDMARKS) {
        if (typeof marks[name] !== 'number') continue;
        const y = yOf(marks[name]).toFixed(1);
        const l = document.createElementNS(ns, 'line');
        l.setAttribute('class', 'landmark');
        l.setAttribute('x1', '92'); l.setAttribute('x2', '108'); l.setAttribute('y1', y); l.setAttribute('y2', y);
        const t = document.createElementNS(ns, 'text');
        t.setAttribute('class', 'landmark-label');
        t.setAttribute('x', '160'); t.setAttribute('y', String(Number(y) + 4));
        t.textContent = name;
        lm.append(l, t);
      }
    }
    const fm = $('focus-mark');
    if (st.focus && marks && typeof marks[st.focus] === 'number') {
      const y = yOf(marks[st.focus]).toFixed(1);
      fm.setAttribute('y1', y); fm.setAttribute('y2', y);
      fm.setAttribute('visibility', 'visible');
    } else {
      fm.setAttribute('visibility', 'hidden');
    }
    const r = st.roller || {};
    const g = $('rollers');
    if (typeof r.position_mm === 'number') {
      g.setAttribute('transform', 'translate(0 ' + yOf(r.position_mm).toFixed(1) + ')');
      g.setAttribute('visibility', 'visible');
      const where = region(r.position_mm, shoulder);
      $('s-where').textContent = words(where) + ' (' + Math.round(r.position_mm) + ' mm)';
      $('map-desc').textContent = 'Rollers on the ' + where + (st.focus ? ', focus ' + st.focus : '');
    } else {
      g.setAttribute('visibility', 'hidden');
      $('s-where').textContent = '–';
      $('map-desc').textContent = 'Rollers position unknown';
    }
  }

  function renderPrograms() {
    const box = $('programs');
    const chosen = selectedProgram();
    box.replaceChildren();
    if (!programs.length) {
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent = 'The chair has no programs.';
      box.append(p);
      return;
    }
    for (const p of programs) {
      const label = document.createElement('label');
      label.className = 'prog';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'program';
      input.value = p.id;
      input.checked = p.id === chosen;
      // Named by the program's name alone; the description and length describe it.
      const descId = 'pd-' + p.id;
      input.setAttribute('aria-labelledby', 'pn-' + p.id);
      input.setAttribute('aria-describedby', descId);
      const text = document.createElement('span');
      const name = document.createElement('span');
      name.className = 'pname';
      name.id = 'pn-' + p.id;
      name.textContent = p.name || p.id;
      const desc = document.createElement('span');
      desc.className = 'pdesc';
      desc.id = descId;
      desc.textContent = (p.description || '').trim();
      const len = document.createElement('span');
      len.className = 'plen';
      len.textContent = p.default_minutes ? p.default_minutes + ' minutes' : '';
      desc.append(document.createTextNode(' '), len);
      text.append(name, desc);
      label.append(input, text);
      box.append(label);
    }
  }

  function selectedProgram() {
    const r = document.querySelector('input[name="program"]:checked');
    return r ? r.value : null;
  }

  function renderStart() {
    const faulted = st && st.faults && st.faults.some((f) => f.code !== 'heater_sensor');
    $('start-btn').disabled = !st || (client && !client.connected);
    $('start-btn').title = faulted ? 'Clear the fault first' : '';
  }

  function renderChairCtl() {
    if (!st) return;
    const at = st.recline;
    const target = st.recline_target;
    const moving = at === 'moving' || (target && target !== at);
    const txt = [];
    if (moving && target) txt.push('Moving to ' + words(target) + '…');
    else if (at) txt.push('Now: ' + words(at));
    if (typeof st.backrest === 'number') txt.push('backrest ' + Math.round(st.backrest * 100) + ' % open');
    $('recline-now').textContent = txt.join(' · ') || '–';
    for (const b of document.querySelectorAll('button.recline')) {
      b.setAttribute('aria-pressed', String(b.dataset.pos === (target || at)));
    }
    // The child lock (C3): chaird without it has no "locked" in its state.
    const locked = st.locked === true;
    const known = typeof st.locked === 'boolean';
    $('lock-now').textContent = locked ? 'Locked: only Stop and Pause work until you unlock.'
      : unsupported.has('lock') ? 'This chair\'s software has no child lock yet (update chaird).'
        : known ? 'Unlocked.' : 'Lock the controls so that children cannot start the chair.';
    show('lock', !locked);
    $('lock').disabled = unsupported.has('lock');
    show('unlock-form', locked);
  }

  // ---- the pain diary ------------------------------------------------------
  // The picker shows while a rating can land: idle (a "before" for the next
  // start, or an "after" within the hour), a session's first 5 minutes, and
  // while it ends.  chaird decides which (phase auto) and says so in the
  // `rated` event.
  function renderRate() {
    const s = st && st.state;
    const early = inSession() && s !== 'ending' && (st.elapsed_s || 0) < BEFORE_WINDOW_S;
    show('rate', !!st && (s === 'idle' || s === 'ending' || early));
    // Before the programs while idle; below the running session's view (its
    // controls come first) while a session runs.
    const card = $('rate');
    const ref = inSession() ? $('session').nextElementSibling : $('session');
    if (card.nextElementSibling !== ref && card !== ref) $('main').insertBefore(card, ref);
  }

  function resetRate(text, pressed) {
    pendingBefore = null;
    for (const b of $('pain-scale').children) b.setAttribute('aria-pressed', String(Number(b.dataset.pain) === pressed));
    rateSaid(text, 'ok');
  }

  function currentProfile() { return $('profile').value.trim(); }

  function rateSaid(text, kind) {
    const p = $('rate-said');
    p.textContent = text;
    p.dataset.kind = kind;
  }

  async function rate(pain) {
    const cmd = { action: 'rate', pain, phase: 'auto' };
    const profile = currentProfile();
    if (profile) cmd.profile = profile;
    rateSaid('Sending ' + pain + '…', 'wait');
    const r = await send(cmd);
    if (!r) { rateSaid('The chair did not answer; try again.', 'bad'); return; }
    if (r.ok) {
      for (const b of $('pain-scale').children) b.setAttribute('aria-pressed', String(Number(b.dataset.pain) === pain));
      // The words come with the `rated` event (it says before or after); the
      // reply alone is enough to know it was kept.
      if ($('rate-said').dataset.kind === 'wait') rateSaid('Noted: ' + pain + '.', 'ok');
      return;
    }
    const code = r.error && r.error.code;
    const msg = (r.error && r.error.message) || code;
    rateSaid((RATE_REFUSALS[code] || REFUSALS[code] || 'The chair refused the rating.') + ' (' + msg + ')', 'bad');
  }

  function onRated(ev) {
    pendingBefore = ev.phase === 'before' && ev.pending ? ev.pain : null;
    const who = ev.profile ? ' (' + ev.profile + ')' : '';
    let text;
    if (ev.phase === 'before') {
      text = 'Noted: ' + ev.pain + ' before ' + (ev.pending ? 'your next session' : 'this session') + who + '.';
    } else {
      text = 'Noted: ' + ev.pain + ' after this session' + who + '.';
      if (typeof ev.change === 'number') {
        text += ev.change < 0 ? ' It eased by ' + (-ev.change) + '.'
          : ev.change > 0 ? ' It is ' + ev.change + ' worse.' : ' No change.';
      }
    }
    rateSaid(text, 'ok');
    if (!$('diary-body').hidden && typeof ev.change === 'number') loadDiary();
  }

  function svg(tag, attrs, text) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function day(t) {
    return new Date(t * 1000).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  }

  function pname(id) {
    const p = programs.find((x) => x.id === id);
    return p ? (p.name || p.id) : id;
  }

  // Pain 0..10 up the side, the rated sessions oldest to newest along the
  // bottom, evenly spaced (their dates under the first and the last): two
  // lines, before (dashed, dots) and after (solid, squares).
  function renderChart(sessions) {
    const X0 = 30, X1 = 310, Y0 = 145, Y1 = 10;
    const y = (p) => Y0 - (p / 10) * (Y0 - Y1);
    const grid = $('chart-grid');
    grid.replaceChildren();
    for (const p of [0, 5, 10]) {
      grid.append(svg('line', { class: 'grid', x1: X0, x2: X1, y1: y(p), y2: y(p) }),
        svg('text', { class: 'axis-label', x: X0 - 6, y: y(p) + 4, 'text-anchor': 'end' }, String(p)));
    }
    const n = sessions.length;
    const x = (i) => (n === 1 ? (X0 + X1) / 2 : X0 + 8 + i * (X1 - X0 - 16) / (n - 1));
    const pts = $('chart-points');
    pts.replaceChildren();
    const before = [], after = [];
    sessions.forEach((s, i) => {
      const cx = x(i).toFixed(1);
      const g = svg('g', { class: 'session', 'data-start': s.start, 'data-before': s.pain_before, 'data-after': s.pain_after });
      g.append(svg('title', {}, day(s.start) + ', ' + pname(s.program) + ': ' + s.pain_before + ' before, ' + s.pain_after + ' after'));
      g.append(svg('circle', { class: 'p-before', cx, cy: y(s.pain_before).toFixed(1), r: 4 }));
      g.append(svg('rect', { class: 'p-after', x: (x(i) - 3.5).toFixed(1), y: (y(s.pain_after) - 3.5).toFixed(1), width: 7, height: 7 }));
      pts.append(g);
      before.push(cx + ',' + y(s.pain_before).toFixed(1));
      after.push(cx + ',' + y(s.pain_after).toFixed(1));
    });
    $('line-before').setAttribute('points', before.join(' '));
    $('line-after').setAttribute('points', after.join(' '));
    if (n) {
      grid.append(svg('text', { class: 'axis-label', x: x(0), y: 163, 'text-anchor': n === 1 ? 'middle' : 'start' }, day(sessions[0].start)));
      if (n > 1 && day(sessions[n - 1].start) !== day(sessions[0].start)) grid.append(svg('text', { class: 'axis-label', x: x(n - 1), y: 163, 'text-anchor': 'end' }, day(sessions[n - 1].start)));
      const last = sessions[n - 1];
      $('chart-desc').textContent = n + ' rated session' + (n === 1 ? '' : 's') + '; the last (' + day(last.start) + ', ' +
        pname(last.program) + '): ' + last.pain_before + ' before, ' + last.pain_after + ' after';
    } else {
      $('chart-desc').textContent = 'No rated sessions yet';
    }
  }

  async function loadDiary() {
    const profile = currentProfile();
    const h = { action: 'history', days: 90 };
    const g = { action: 'suggest' };
    if (profile) { h.profile = profile; g.profile = profile; }
    $('diary-load').disabled = true;
    const [hist, sug] = await Promise.all([send(h), send(g)]);
    $('diary-load').disabled = false;
    $('diary-load').textContent = 'Refresh the diary';
    $('diary-body').hidden = false;
    const empty = $('diary-empty');
    if (!hist || !hist.ok) {
      const code = hist && hist.error && hist.error.code;
      renderChart([]);
      $('medians').replaceChildren();
      empty.textContent = hist ? (RATE_REFUSALS[code] || REFUSALS[code] || 'The chair refused.') + ' (' + ((hist.error && hist.error.message) || code) + ')'
        : 'The chair did not answer; try again.';
      empty.hidden = false;
    } else {
      const sessions = Array.isArray(hist.sessions) ? hist.sessions.filter((s) => typeof s.pain_before === 'number' && typeof s.pain_after === 'number') : [];
      renderChart(sessions);
      empty.textContent = sessions.length ? '' : 'No rated sessions in the last ' + hist.days + ' days' + (hist.profile ? ' for ' + hist.profile : '') + ': rate your pain before and after a session.';
      empty.hidden = sessions.length > 0;
      const ul = $('medians');
      ul.replaceChildren();
      for (const p of hist.programs || []) {
        const li = document.createElement('li');
        const m = p.median_change;
        li.textContent = pname(p.program) + ': ' + (m < 0 ? 'eased by ' + (-m) : m > 0 ? (m + ' worse') : 'no change') +
          ' (median of ' + p.sessions + ' session' + (p.sessions === 1 ? '' : 's') + ')';
        ul.append(li);
      }
      $('diary-worse').hidden = !hist.worsening;
      $('diary-worse').textContent = hist.worsening ? 'Your pain is getting worse' + (hist.worsening_reason ? ' (' + hist.worsening_reason + ')' : '') +
        '. Please see a doctor or physiotherapist.' : '';
    }
    const sg = sug && sug.ok && sug.suggestion;
    $('suggest-reason').textContent = sg ? sg.reason : sug ? ((sug.error && sug.error.message) || 'No suggestion.') : 'The chair did not answer.';
    show('suggest-start', !!(sg && sg.program));
  }

  // ---- controls ------------------------------------------------------------
  function fillFocus(sel) {
    const none = document.createElement('option');
    none.value = '';
    none.textContent = 'No focus (whole program)';
    sel.append(none);
    for (const l of LANDMARKS) {
      const o = document.createElement('option');
      o.value = l;
      o.textContent = LANDMARK_WORDS[l];
      sel.append(o);
    }
  }

  function profiles() {
    try { return JSON.parse(localStorage.getItem('chaird-profiles') || '[]'); } catch (e) { return []; }
  }

  function rememberProfile(name, keep) {
    const list = profiles().filter((n) => n !== name);
    if (keep) list.unshift(name);
    localStorage.setItem('chaird-profiles', JSON.stringify(list.slice(0, 10)));
    fillProfiles();
  }

  function fillProfiles() {
    const dl = $('profile-names');
    dl.replaceChildren();
    for (const n of profiles()) {
      const o = document.createElement('option');
      o.value = n;
      dl.append(o);
    }
  }

  function wire() {
    fillFocus($('focus'));
    fillFocus($('s-focus'));
    fillProfiles();

    for (let i = 0; i <= 10; i++) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = String(i);
      b.dataset.pain = String(i);
      b.setAttribute('aria-label', 'Pain ' + i);
      b.setAttribute('aria-pressed', 'false');
      b.addEventListener('click', () => rate(i));
      $('pain-scale').append(b);
    }
    $('diary-load').addEventListener('click', loadDiary);
    $('suggest-start').addEventListener('click', async () => {
      const cmd = { action: 'suggest', start: true };
      const profile = currentProfile();
      if (profile) cmd.profile = profile;
      const r = await command(cmd);
      if (r && r.ok) toast('Starting the suggested session.');
    });

    $('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const login = JSON.stringify({ user: $('user').value, pass: $('pass').value });
      sessionStorage.setItem('chaird-login', login);
      if ($('remember').checked) localStorage.setItem('chaird-login', login);
      $('pass').value = '';
      show('login', false);
      connect();
    });

    $('programs').addEventListener('change', (e) => {
      const p = programs.find((x) => x.id === e.target.value);
      if (p && p.default_minutes && !dirty.has('minutes')) $('minutes').value = p.default_minutes;
    });
    $('minutes').addEventListener('input', () => dirty.add('minutes'));
    $('intensity').addEventListener('input', () => { $('intensity-out').value = $('intensity').value; });

    $('start-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const program = selectedProgram();
      const profile = $('profile').value.trim();
      if (!program && !profile) {
        toast('Pick a program first.');
        return;
      }
      // With a program picked, the chair gets exactly what the form shows (and a
      // profile remembers it).  A profile alone plays its usual: chaird fills
      // program, intensity and heat from it.
      const cmd = { action: 'start' };
      if (profile) cmd.profile = profile;
      if (program) {
        cmd.program = program;
        const minutes = parseInt($('minutes').value, 10);
        if (minutes > 0) cmd.minutes = minutes;
        cmd.intensity = parseInt($('intensity').value, 10);
        cmd.heat = $('heat').checked;
      }
      if ($('focus').value) cmd.focus = $('focus').value;
      const r = await command(cmd);
      if (r && r.ok && profile) rememberProfile(profile, true);
    });

    $('forget-profile').addEventListener('click', async () => {
      const profile = $('profile').value.trim();
      if (!profile) { toast('Type the profile\'s name first.'); return; }
      if (!confirm('Forget the profile "' + profile + '" on this chair?')) return;
      const r = await command({ action: 'forget_profile', profile });
      if (r && r.ok) { rememberProfile(profile, false); toast('Profile ' + profile + ' forgotten.'); }
    });

    // Stop and pause are never refused by chaird (C3); no confirmation, one tap.
    $('stop').addEventListener('click', () => command({ action: 'stop' }));
    $('pause').addEventListener('click', () => command({ action: 'pause' }));
    $('resume').addEventListener('click', () => command({ action: 'resume' }));
    // Today's API: an absolute intensity from the state (every chaird knows it).
    const step = (d) => {
      if (!st || !st.intensity) return;
      const n = Math.min(5, Math.max(1, st.intensity + d));
      if (n !== st.intensity) command({ action: 'set', intensity: n });
    };
    $('more').addEventListener('click', () => step(1));
    $('less').addEventListener('click', () => step(-1));
    $('extend').addEventListener('click', () => command({ action: 'extend', minutes: 5 }, 'extend'));
    $('skip').addEventListener('click', () => command({ action: 'skip' }, 'skip'));
    $('s-heat-toggle').addEventListener('click', () => {
      command({ action: 'set', heat: !(st && st.heat && st.heat.on) });
    });
    $('s-focus').addEventListener('change', (e) => command({ action: 'set', focus: e.target.value || null }));
    for (const b of document.querySelectorAll('button.recline')) {
      b.addEventListener('click', () => command({ action: 'recline', position: b.dataset.pos }));
    }
    $('clear-faults').addEventListener('click', () => command({ action: 'clear_faults' }));
    $('lock').addEventListener('click', () => command({ action: 'lock' }, 'lock'));
    $('unlock-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const r = await command({ action: 'unlock', pin: $('pin').value }, 'lock');
      $('pin').value = '';
      if (r && r.ok) toast('Unlocked.');
    });
  }

  if (typeof mqtt === 'undefined') {
    setConn('The app is incomplete (vendor/mqtt.min.js missing)', 'bad');
    return;
  }
  wire();
  connect();
})();
