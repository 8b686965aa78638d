// The console's live feed: Server-Sent Events from /admin/console/events.
// A paid order shows a toast, beeps, and appears at the top of the
// dashboard's feed; pages that list what an event changes reload.
(function () {
  'use strict';
  var body = document.body;
  if (!body.dataset.live || !window.EventSource) return;
  var reloadOn = (body.dataset.reloadOn || '').split(' ').filter(Boolean);
  var state = document.getElementById('live-state');
  var feed = document.getElementById('feed');
  var toast = document.getElementById('toast');
  var audio = null;

  function yuan(v) { return '¥' + Number(v || 0).toFixed(2); }

  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880; g.gain.value = 0.15;
      o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + 0.25);
    } catch (e) { /* no sound before the page was touched: the toast is enough */ }
  }

  function show(text) {
    if (!toast) return;
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(show.t);
    show.t = setTimeout(function () { toast.hidden = true; }, 6000);
  }

  function bump(id, by) {
    var el = document.getElementById(id);
    if (el) el.textContent = String(Number(el.textContent || 0) + by);
  }

  function addToFeed(e) {
    if (!feed) return;
    var empty = feed.querySelector('.empty');
    if (empty) empty.remove();
    var li = document.createElement('li');
    li.className = 'order card new';
    li.dataset.id = e.orderId;
    var a = document.createElement('a');
    a.href = '/admin/console/orders/' + e.orderId;
    var b = document.createElement('b');
    b.textContent = e.orderNumber;
    a.appendChild(b);
    var amount = document.createElement('span');
    amount.className = 'amount';
    amount.textContent = yuan(e.amount);
    var goods = document.createElement('span');
    goods.className = 'goods';
    goods.textContent = e.goods || '';
    var meta = document.createElement('span');
    meta.className = 'muted';
    meta.textContent = (e.date || '') + (e.buyer ? ' · ' + e.buyer : '');
    li.append(a, amount, goods, meta);
    feed.insertBefore(li, feed.firstChild);
    bump('paid-today', 1);
    bump('to-ship', 1);
    var t = document.getElementById('takings-today');
    if (t) {
      t.dataset.fen = String(Number(t.dataset.fen || 0) + Math.round(Number(e.amount) * 100));
      t.textContent = yuan(Number(t.dataset.fen) / 100);
    }
  }

  var reloading = null;
  function maybeReload(type) {
    if (reloadOn.indexOf(type) < 0 || reloading) return;
    reloading = setInterval(function () {
      var a = document.activeElement;
      if (a && (a.tagName === 'INPUT' || a.tagName === 'SELECT') && a.value) return; // the merchant is typing
      clearInterval(reloading);
      location.reload();
    }, 400);
  }

  var es = new EventSource('/admin/console/events');
  es.onopen = function () { if (state) { state.textContent = '● 实时'; state.className = 'live-state on'; } };
  es.onerror = function () { if (state) { state.textContent = '重新连接中…'; state.className = 'live-state'; } };
  es.addEventListener('paid', function (m) {
    var e = JSON.parse(m.data);
    addToFeed(e);
    show('新订单 ' + e.orderNumber + ' ' + yuan(e.amount));
    beep();
    document.title = '【新订单】' + document.title.replace(/^【新订单】/, '');
    maybeReload('paid');
  });
  ['closed', 'printed', 'refund'].forEach(function (t) {
    es.addEventListener(t, function () { maybeReload(t); });
  });
})();
