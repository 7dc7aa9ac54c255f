// GitOrch web view: live updates. The server sends an event when versions land (server-sent
// events); the page fetches itself again and swaps its live region, without a reload. A fetch
// that fails for want of the network or the server (5xx, 429) is tried again, a stream that
// reconnects fetches once, so a change that landed while the network was away still shows, and a
// stream the browser gave up on (the server refused it, as after a restart) is opened again.
// Waits start at 2 s and double to 30 s. Everything the server sends is already escaped HTML;
// nothing here evaluates it.
(() => {
  'use strict';
  const live = document.getElementById('live');
  const status = document.getElementById('live-status');
  if (!live || !window.EventSource) {
    return;
  }

  const say = (text) => { if (status) { status.textContent = text; } };
  let busy = false;
  let again = false;
  let editing = false;
  let ended = false;
  let source = null;
  let opened = false;
  let retry = null;
  let wait = 2000;
  let streamWait = 2000;

  // A wait varies by a quarter either way, so tabs that lost the server together do not all ask
  // again at the same moment.
  const jitter = (ms) => ms * (0.75 + Math.random() * 0.5);

  // One retry of the fetch at a time; each failure in a row waits twice as long, up to 30 s.
  const later = () => {
    if (retry || ended) { return; }
    retry = setTimeout(() => { retry = null; refresh(); }, jitter(wait));
    wait = Math.min(wait * 2, 30000);
  };

  // A form being filled in is never swapped away under the user, not even by a fetch that was
  // already on its way when the editing began: once a field of it has been changed, updates wait
  // until it is submitted; while one of its fields has the focus (the user is about to type),
  // they wait until the focus leaves the form.
  let focused = false;
  let skipped = false;
  const inLiveForm = (target) => Boolean(target && target.closest && target.closest('#live form'));
  // Whether updates wait for the form; when they do, the one held back comes once they no longer do.
  const holdBack = () => {
    if (!editing && !focused) { return false; }
    skipped = true;
    say('Live · paused while you fill in a form');
    return true;
  };
  const onEdit = (e) => { if (inLiveForm(e.target)) { editing = true; } };
  document.addEventListener('input', onEdit);
  document.addEventListener('change', onEdit);
  document.addEventListener('focusin', (e) => { if (inLiveForm(e.target)) { focused = true; } });
  document.addEventListener('focusout', (e) => {
    if (!inLiveForm(e.target) || inLiveForm(e.relatedTarget)) { return; }
    focused = false;
    if (skipped && !editing) { skipped = false; refresh(); }
  });

  async function refresh() {
    if (ended) { return; }
    if (holdBack()) { return; }
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' }, cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        ended = true;
        say('Your session has ended: run `gitorch ui` to log in again.');
        if (source) { source.close(); }
        return;
      }
      if (response.status >= 500 || response.status === 429) {
        say('Live · could not refresh (HTTP ' + response.status + '); trying again');
        later();
        return;
      }
      if (!response.ok) {
        say('Live · this page is gone (HTTP ' + response.status + '): reload it or go back');
        return;
      }
      const text = await response.text();
      if (holdBack()) {
        return; // The user began filling in a form while this fetch was on its way: it is not swapped away.
      }
      const doc = new DOMParser().parseFromString(text, 'text/html');
      const next = doc.getElementById('live');
      const current = document.getElementById('live');
      if (next && current) {
        current.replaceWith(document.importNode(next, true));
        document.body.dataset.updates = String(Number(document.body.dataset.updates || '0') + 1);
      }
      if (retry) { clearTimeout(retry); retry = null; }
      wait = 2000;
      say('Live · updated ' + new Date().toLocaleTimeString());
    } catch (e) {
      say('Live · could not refresh (' + e + '); trying again');
      later();
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  function connect() {
    source = new EventSource('/ui/events');
    source.addEventListener('change', refresh);
    source.addEventListener('open', () => {
      streamWait = 2000;
      say('Live');
      if (opened) { refresh(); } // Back after a drop: catch up on what it missed.
      opened = true;
    });
    source.addEventListener('error', () => {
      if (ended) { return; }
      say('Live · reconnecting…');
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave the stream up (the server answered it with an error): a fetch says
        // why (a session that ended shows so), and a new stream is opened after a wait.
        refresh();
        setTimeout(() => { if (!ended) { connect(); } }, jitter(streamWait));
        streamWait = Math.min(streamWait * 2, 30000);
      }
    });
  }

  connect();
})();
