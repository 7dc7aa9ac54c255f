// GitOrch web view: live updates. The server sends an event when versions land (server-sent
// events); the page fetches itself again and swaps its live region, without a reload. A fetch
// that fails is tried again (2 s, doubling to 30 s), and a stream that reconnects fetches once, so
// a change that landed while the network was away still shows. Everything the server sends is
// already escaped HTML; nothing here evaluates it.
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
  let source = null;
  let retry = null;
  let wait = 2000;

  // One retry at a time; each failure in a row waits twice as long, up to 30 s.
  const later = () => {
    if (retry) { return; }
    retry = setTimeout(() => { retry = null; refresh(); }, wait);
    wait = Math.min(wait * 2, 30000);
  };

  // A form being filled in is never swapped away under the user: updates wait until it is submitted.
  const onEdit = (e) => { if (e.target.closest && e.target.closest('#live form')) { editing = true; } };
  document.addEventListener('input', onEdit);
  document.addEventListener('change', onEdit);

  async function refresh() {
    if (editing) { say('Live · paused while you fill in a form'); return; }
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' }, cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        say('Your session has ended: run `gitorch ui` to log in again.');
        if (source) { source.close(); }
        return;
      }
      if (!response.ok) { say('Live · could not refresh (HTTP ' + response.status + '); trying again'); later(); return; }
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = doc.getElementById('live');
      const current = document.getElementById('live');
      if (next && current) {
        current.replaceWith(document.importNode(next, true));
        document.body.dataset.updates = String(Number(document.body.dataset.updates || '0') + 1);
      }
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

  source = new EventSource('/ui/events');
  source.addEventListener('change', refresh);
  let opened = false;
  source.addEventListener('open', () => {
    say('Live');
    if (opened) { refresh(); } // Back after a drop: catch up on what it missed.
    opened = true;
  });
  source.addEventListener('error', () => say('Live · reconnecting…'));
})();
