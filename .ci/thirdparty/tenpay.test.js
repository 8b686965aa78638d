// cmd/wxpaytest walked by the npm package tenpay, unmodified: its own
// request signing, its own response verification, its own notify
// middleware (the Koa one, fed by node:http) and its own req_info
// decryption. Only its URLs are pointed at the fake, as a user would for
// any test double; the fake's CA is trusted through NODE_EXTRA_CA_CERTS,
// and the merchant certificate is the apiclient_cert.p12 wxpaytest wrote.
//
// Environment: WXPAYTEST_OUT, the directory of wxpaytest.json (the binary
// must run with -notify-sign-type: tenpay verifies notifies with the sign
// type the message names, MD5 without one), and optionally
// WXPAYTEST_RESTART, a command that restarts the binary with the same
// -state file: the walk then restarts it between payment and refund.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { execSync } = require('node:child_process');
const tenpay = require('tenpay');

const OUT = process.env.WXPAYTEST_OUT;
assert.ok(OUT, 'WXPAYTEST_OUT names the directory wxpaytest wrote');
const conf = JSON.parse(fs.readFileSync(path.join(OUT, 'wxpaytest.json'), 'utf8'));
const merchant = conf.merchants[0];

async function control(method, p, body) {
  const res = await fetch(conf.control_url + p, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${p}: ${JSON.stringify(json)}`);
  return json;
}

// The merchant's notify endpoints: tenpay's middleware decides.
const received = { pay: [], refund: [] };
let notifyBase;
const payment = () => {
  const api = new tenpay({
    appid: merchant.appid,
    mchid: merchant.mch_id,
    partnerKey: merchant.api_key,
    pfx: fs.readFileSync(path.join(OUT, merchant.p12)),
    notify_url: notifyBase + '/notify/pay',
    refund_url: notifyBase + '/notify/refund',
  });
  for (const k of Object.keys(api.urls)) {
    api.urls[k] = api.urls[k].replace('https://api.mch.weixin.qq.com', conf.base_url);
  }
  return api;
};
let api;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const type = req.url.endsWith('/refund') ? 'refund' : 'pay';
    // The minimal Koa context tenpay's middleware reads and writes.
    const ctx = { request: { body: Buffer.concat(chunks).toString('utf8') }, type: '', body: '' };
    await api.middleware(type)(ctx, async () => {
      received[type].push(ctx.request.weixin);
      ctx.reply(); // SUCCESS
    });
    res.writeHead(200, { 'Content-Type': ctx.type || 'application/xml' });
    res.end(ctx.body);
  });
});

test.before(async () => {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  notifyBase = `http://127.0.0.1:${server.address().port}`;
  api = payment();
  await control('POST', '/reset');
});
test.after(() => server.close());

async function walk(t, no, signType) {
  // 1. Unified order, signed and verified by tenpay.
  const order = await api.unifiedOrder({
    out_trade_no: no, body: 'wxpaytest tenpay walk', total_fee: 301, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    sign_type: signType,
  });
  assert.equal(order.trade_type, 'JSAPI');
  assert.match(order.prepay_id, /^wx/);
  const jsapi = api.getPayParamsByPrepay(order, signType);
  assert.equal(jsapi.package, 'prepay_id=' + order.prepay_id);

  // 2. The payer pays, through the control API.
  const before = received.pay.length;
  await control('POST', `/orders/${no}/pay`, { bank_type: 'CMC', coupons: [{ type: 'CASH', id: 'C1', fee: 1 }] });
  await control('POST', '/notifies/wait', { timeout_ms: 20000 });

  // 3. tenpay's middleware received and verified the notify.
  assert.equal(received.pay.length, before + 1, 'one verified payment notify');
  const n = received.pay[before];
  assert.equal(n.out_trade_no, no);
  assert.equal(n.total_fee, '301');
  assert.equal(n.cash_fee, '300');
  assert.equal(n.coupon_fee, '1');
  assert.equal(n.bank_type, 'CMC');
  assert.equal(n.result_code, 'SUCCESS');
  const acked = (await control('GET', '/notifies')).filter((a) => a.out_trade_no === no && a.kind === 'pay');
  assert.ok(acked.at(-1).acknowledged, 'the fake saw tenpay acknowledge');

  // A restart in the middle: the order and its payment survive (-state).
  if (process.env.WXPAYTEST_RESTART) {
    execSync(process.env.WXPAYTEST_RESTART, { stdio: 'inherit' });
    api = payment();
  }

  // 4. Order query.
  const q = await api.orderQuery({ out_trade_no: no, sign_type: signType });
  assert.equal(q.trade_state, 'SUCCESS');
  assert.equal(q.transaction_id, n.transaction_id);

  // 5. Refund over mutual TLS, with tenpay's .p12.
  const r = await api.refund({ out_trade_no: no, out_refund_no: no + 'R', total_fee: 301, refund_fee: 101, sign_type: signType });
  assert.equal(r.refund_fee, '101');
  await control('POST', '/notifies/wait', { timeout_ms: 20000 });

  // 6. tenpay decrypted the refund notify.
  const rn = received.refund.find((x) => x.req_info && x.req_info.out_refund_no === no + 'R');
  assert.ok(rn, 'a decrypted refund notify');
  assert.equal(rn.req_info.refund_status, 'SUCCESS');
  assert.equal(rn.req_info.refund_fee, '101');
  assert.equal(rn.req_info.total_fee, '301');
  assert.equal(rn.req_info.settlement_total_fee, '301');
  assert.equal(rn.req_info.transaction_id, n.transaction_id);

  const rq = await api.refundQuery({ out_refund_no: no + 'R', sign_type: signType });
  assert.equal(rq.refund_status_0, 'SUCCESS');
}

test('MD5: unified order → pay → notify → query → refund (mTLS) → refund notify', async (t) => {
  await walk(t, 'TPMD5' + Date.now(), 'MD5');
});

test('HMAC-SHA256: the same walk', async (t) => {
  await walk(t, 'TPHMAC' + Date.now(), 'HMAC-SHA256');
});

test('a FAIL payment notify never reaches the handler; a forged one is refused', async () => {
  const no = 'TPFAIL' + Date.now();
  await api.unifiedOrder({ out_trade_no: no, body: 'x', total_fee: 5, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
  const before = received.pay.length;
  // tenpay's middleware answers a result_code FAIL notify with FAIL (it
  // checks result_code before anything else), so WeChat would retry it
  // to the end of the schedule: shorten it to two quick retries, and
  // wait reports the notify given up.
  await control('PUT', '/notifies/schedule', { delays_ms: [5, 5] });
  await control('POST', `/orders/${no}/pay`, { err_code: 'NOTENOUGH', err_code_des: '余额不足' });
  const res = await fetch(conf.control_url + '/notifies/wait', { method: 'POST', body: JSON.stringify({ timeout_ms: 20000 }) });
  const waited = await res.json();
  assert.equal(res.status, 409, JSON.stringify(waited));
  assert.equal(waited.given_up.length, 1);
  assert.equal(waited.given_up[0].out_trade_no, no);
  assert.match(waited.error, /NOTENOUGH/, 'the error names the last reply');
  const attempts = (await control('GET', '/notifies')).filter((a) => a.out_trade_no === no);
  // The handler behind the middleware was never called.
  assert.equal(received.pay.length, before, 'the handler did not see a FAIL notify as paid');
  assert.equal(attempts.length, 3);
  assert.ok(attempts.every((a) => a.body.includes('<result_code><![CDATA[FAIL]]></result_code>')));

  const forged = await control('POST', '/notifies/forge', { forgery: 'sign', url: notifyBase + '/notify/pay', out_trade_no: no });
  assert.equal(forged.acknowledged, false, 'tenpay refused a forged sign');
  assert.match(forged.reply, /sign签名错误/);
  assert.equal(received.pay.length, before);
});
