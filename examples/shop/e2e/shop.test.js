// End-to-end test of examples/shop with the real apifm-wxapi client, the
// library thousands of mini programs (wechat-app-mall among them) call
// api工厂 with. The client runs unmodified; init3 gives it a request
// function that sends its calls to the shop the way wx.request would.
//
// Environment: SHOP_URL (the running shop, in development mode, started
// with -hx-uids 1 on an empty database), SHOP_ADMIN_TOKEN, and optionally
// SHOP_PIDFILE, the file holding the shop's pid: the test then restarts the
// shop in the middle (SIGTERM; a supervisor starts it again) and checks
// that nothing was lost. Run by ci.sh: node --test shop.test.js
// With WXPAYTEST_CONTROL_URL, the shop is expected to talk to a running
// cmd/wxpaytest instead of its in-process fake (started with
// -wxpaytest-json), and the buyer pays through that binary's control API
// (see confirmPayment).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const SHOP = (process.env.SHOP_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const ADMIN = process.env.SHOP_ADMIN_TOKEN || '';
const SUB = 'tz'; // wechat-app-mall's subDomain; the shop accepts any

// goods()/goodsv2() read the storage of the mini program.
const storage = {};
global.wx = {
  getStorageSync: (k) => (k in storage ? storage[k] : ''),
  setStorageSync: (k, v) => { storage[k] = v; },
  removeStorageSync: (k) => { delete storage[k]; },
};

const WXAPI = require('apifm-wxapi');
assert.equal(require('apifm-wxapi/package.json').version, '26.9.21', 'the pinned client version');

// request replaces the client's wx.request-based one, with its signature
// (url, needSubDomain, method, data). Relative paths get the base and the
// subDomain; absolute ones (common.apifm.com/{sub}/…, oss.apifm.com/{sub}/…)
// keep their path, which already starts with the subDomain, on the shop.
const sent = []; // every call, for the record
async function request(url, needSubDomain, method, data) {
  let full;
  if (/^https?:\/\//.test(url)) {
    full = SHOP + url.replace(/^https?:\/\/[^/]+/, '');
  } else {
    full = SHOP + (needSubDomain ? '/' + SUB : '') + url;
  }
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(data || {})) {
    if (v !== undefined && v !== null) form.append(k, String(v));
  }
  const m = String(method || 'get').toUpperCase();
  const init = { method: m, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
  if (m === 'GET') {
    const q = form.toString();
    if (q) full += (full.includes('?') ? '&' : '?') + q;
  } else {
    init.body = form.toString();
  }
  const res = await fetch(full, init);
  const text = await res.text();
  sent.push(`${m} ${full.replace(SHOP, '').split('?')[0]}`);
  assert.equal(res.status, 200, `${m} ${full}: HTTP ${res.status} ${text}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${m} ${full}: not JSON: ${text}`);
  }
}
WXAPI.init3({ apiBaseUrl: SHOP, subDomain: SUB, request });

// ------------------------------------------------------------------ helpers

const fen = (yuan) => Math.round(Number(yuan) * 100);

function ok(res, what) {
  assert.equal(res.code, 0, `${what}: code ${res.code} ${res.msg}`);
  return res.data;
}

function code(res, want, what) {
  assert.equal(res.code, want, `${what}: code ${res.code} ${res.msg}; want ${want}`);
  assert.ok(want === 0 || (typeof res.msg === 'string' && res.msg.length > 0), `${what}: empty msg`);
}

async function admin(method, path, form) {
  const res = await fetch(SHOP + path, {
    method,
    headers: { Authorization: 'Bearer ' + ADMIN, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: res.status, body: await res.json() };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(what, fn) {
  const deadline = Date.now() + 10000;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(50);
  }
}

// What the buyer's money and order counts must be after every step: the
// expected balance and consumption (in fen) and the six counters.
const expected = {
  balance: 0,
  consumed: 0,
  stats: { count_id_no_pay: 0, count_id_no_transfer: 0, count_id_no_confirm: 0, count_id_no_reputation: 0, count_id_success: 0, count_id_close: 0 },
};

async function checkBooks(step) {
  const a = ok(await WXAPI.userAmount(buyer.token), 'userAmount');
  for (const k of ['balance', 'freeze', 'score', 'growth', 'totleConsumed']) {
    assert.equal(typeof a[k], 'number', `${step}: userAmount.${k} must be a JSON number (the pages call toFixed)`);
  }
  assert.equal(fen(a.balance), expected.balance, `${step}: balance`);
  assert.equal(fen(a.totleConsumed), expected.consumed, `${step}: totleConsumed`);
  const s = ok(await WXAPI.orderStatistics(buyer.token), 'orderStatistics');
  assert.deepEqual(s, expected.stats, `${step}: orderStatistics`);
}

function move(from, to) {
  if (from) expected.stats[from]--;
  if (to) expected.stats[to]++;
}

// payByWeChat does what the pay popup does when the balance does not cover
// the order: WeChat-pay the difference with nextAction type 0, then the
// buyer confirms in WeChat (the shop's development endpoint plays WeChat).
async function payByWeChat(orders) {
  const total = orders.reduce((s, o) => s + o.amountReal, 0);
  const bal = ok(await WXAPI.userAmount(buyer.token), 'userAmount').balance;
  const money = total - bal; // computed in floating point, as the page does
  const pay = ok(await WXAPI.payVariableUrl('/pay/wx/wxapp', {
    token: buyer.token, money, remark: '支付订单', payName: '在线支付',
    nextAction: JSON.stringify({ type: 0, id: orders.map((o) => o.id).join(',') }),
  }), 'wxpay');
  assert.deepEqual(Object.keys(pay).sort(), ['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp'],
    'the wx.requestPayment object');
  assert.match(pay.package, /^prepay_id=wx/);
  assert.match(pay.timeStamp, /^\d{10}$/);
  // wx.requestPayment(pay) → the buyer confirms:
  await confirmPayment(pay.package);
  expected.consumed += fen(total);
  expected.balance = expected.balance + fen(money) - fen(total);
}

// confirmPayment plays the buyer confirming the payment prepayId in
// WeChat: through the shop's development endpoint (its in-process fake),
// or, with WXPAYTEST_CONTROL_URL set (the shop configured against a
// running cmd/wxpaytest), through that binary's control API: the order is
// found by its prepay id in the binary's record of requests, paid, and its
// notify waited for. With throughShop the development endpoint is used in
// both cases: against the binary, the shop pays through its control API.
const CONTROL = (process.env.WXPAYTEST_CONTROL_URL || '').replace(/\/$/, '');
async function confirmPayment(prepayId, { throughShop = false } = {}) {
  prepayId = prepayId.replace('prepay_id=', '');
  if (!CONTROL || throughShop) {
    ok(await request('/dev/wxpay/confirm', true, 'post', { prepayId }), 'dev confirm');
    return;
  }
  const reqs = await (await fetch(CONTROL + '/requests')).json();
  const uo = reqs.find((r) => r.response_params && r.response_params.prepay_id === prepayId);
  assert.ok(uo, `no unified order answered prepay_id ${prepayId}`);
  const paid = await fetch(`${CONTROL}/orders/${encodeURIComponent(uo.params.out_trade_no)}/pay`, { method: 'POST' });
  assert.equal(paid.status, 200, `pay through the control API: ${await paid.text()}`);
  const waited = await fetch(CONTROL + '/notifies/wait', { method: 'POST', body: JSON.stringify({ timeout_ms: 20000 }) });
  assert.equal(waited.status, 200, `the shop did not acknowledge the notify: ${await waited.text()}`);
}

async function restartShop() {
  const pidfile = process.env.SHOP_PIDFILE;
  if (!pidfile) return false;
  const before = (await (await fetch(SHOP + '/healthz')).json()).pid;
  process.kill(Number(fs.readFileSync(pidfile, 'utf8').trim()), 'SIGTERM');
  await eventually('the shop to come back', async () => {
    try {
      const h = await (await fetch(SHOP + '/healthz')).json();
      return h.pid !== before;
    } catch {
      return false;
    }
  });
  return true;
}

const address = { linkMan: '张三', mobile: '13800000000', address: '西湖区文三路 1 号', provinceId: '330000000000', cityId: '330100000000', districtId: '330106000000', code: '310000' };
const goodsJson = (lines) => JSON.stringify(lines.map(([goodsId, number, propertyChildIds = '']) => ({ goodsId, number, propertyChildIds, logisticsType: 0, inviter_id: 0 })));

const staff = {};
const buyer = {};
let tshirt; // goods detail
let mainOrder;

// ------------------------------------------------------------------ the walk

test('login: staff first (uid 1, -hx-uids 1), then the buyer by silent authorization', async () => {
  Object.assign(staff, ok(await WXAPI.authorize({ code: 'e2e-staff', referrer: '' }), 'authorize staff'));
  assert.equal(staff.uid, 1, 'the shop must start on an empty database');
  Object.assign(buyer, ok(await WXAPI.authorize({ code: 'e2e-buyer', referrer: '' }), 'authorize buyer'));
  assert.ok(buyer.token && buyer.uid > 1);
  const again = ok(await WXAPI.login_wx('e2e-buyer'), 'login_wx');
  assert.equal(again.uid, buyer.uid);
  assert.ok(again.token && again.openid);
  code(await WXAPI.login_wx('e2e-never-registered'), 10000, 'login of an unregistered user');
  code(await WXAPI.checkToken(buyer.token), 0, 'checkToken');
  code(await WXAPI.checkToken('not-a-token'), 2000, 'checkToken of a bad token');
  await checkBooks('after login');
});

test('configuration and the helpers the order pages call', async () => {
  const cfg = ok(await WXAPI.queryConfigBatch('order_pay_user_balance,zt_open_hx,order_hx_uids,unknown'), 'queryConfigBatch');
  assert.deepEqual(Object.fromEntries(cfg.map((c) => [c.key, c.value])), { order_pay_user_balance: '1', zt_open_hx: '1', order_hx_uids: '1' });
  assert.equal(ok(await WXAPI.queryConfigValue('order_hx_uids'), 'queryConfigValue'), '1');
  const user = ok(await WXAPI.userDetail(buyer.token), 'userDetail');
  assert.equal(user.base.isIdcardCheck, false);
  code(await WXAPI.defaultAddress(buyer.token), 700, 'defaultAddress');
  code(await WXAPI.cardMyList(buyer.token), 700, 'cardMyList');
  code(await WXAPI.kanjiaSet(1), 700, 'kanjiaSet');
  code(await WXAPI.pingtuanSet(1), 700, 'pingtuanSet');
  code(await WXAPI.goodsAddition(1), 700, 'goodsAddition');
  code(await WXAPI.shippingCarInfo(buyer.token), 700, 'shippingCarInfo');
  assert.ok(ok(await WXAPI.fetchShops({}), 'fetchShops').length >= 1);
  assert.notEqual((await WXAPI.wxaQrcode({ scene: 'x', page: 'pages/index/index' })).code, 0, 'wxaQrcode');
});

test('goods: lists, detail with SKU properties, price', async () => {
  const v2 = ok(await WXAPI.goodsv2({ page: 1, pageSize: 20 }), 'goodsv2');
  assert.equal(v2.result.length, 5);
  for (const g of v2.result) assert.ok(g.stores >= 10, `goods ${g.id} stock ${g.stores}`);
  const v1 = ok(await WXAPI.goods({}), 'goods');
  assert.equal(v1.length, 5);
  tshirt = ok(await WXAPI.goodsDetail(1, buyer.token), 'goodsDetail');
  assert.equal(tshirt.properties.length, 2);
  assert.equal(tshirt.skuList.length, 4);
  assert.ok(tshirt.logistics, 'goods that need delivery have logistics');
  // The buy-now selection, as the goods page builds it: "propId:childId," pairs.
  const sel = tshirt.properties.map((p) => `${p.id}:${p.childsCurGoods[1].id},`).join('');
  const price = ok(await WXAPI.goodsPrice(1, sel), 'goodsPrice');
  assert.equal(price.price, 69);
  assert.equal(price.stores, 10);
  tshirt.sel = sel;
});

test('order: pre-calculate, create, statistics', async () => {
  const goods = goodsJson([[1, 2, tshirt.sel], [2, 1]]);
  const calc = ok(await WXAPI.orderCreate({ token: buyer.token, goodsJsonStr: goods, calculate: true, peisongType: 'kd', provinceId: address.provinceId, cityId: address.cityId, districtId: address.districtId }), 'pre-calculate');
  assert.equal(calc.amountReal, 206);
  assert.equal(calc.amountTotle, 206);
  assert.equal(calc.amountLogistics, 0);
  assert.equal(calc.isNeedLogistics, true);
  code(await WXAPI.orderList({ token: buyer.token }), 700, 'no order after a pre-calculation');

  mainOrder = ok(await WXAPI.orderCreate({ token: buyer.token, goodsJsonStr: goods, peisongType: 'kd', remark: '尽快发货', ...address }), 'create');
  assert.equal(mainOrder.status, 0);
  assert.equal(mainOrder.amountReal, 206);
  assert.ok(mainOrder.orderNumber && mainOrder.dateAdd);
  assert.equal(ok(await WXAPI.goodsPrice(1, tshirt.sel), 'price').stores, 8, 'stock taken at create');
  move(null, 'count_id_no_pay');
  await checkBooks('after create');

  const list = ok(await WXAPI.orderList({ token: buyer.token, status: '', page: 1, pageSize: 20 }), 'orderList');
  assert.equal(list.orderList.length, 1);
  assert.equal(list.goodsMap[mainOrder.id].length, 2, 'every order has its goodsMap entry');
  assert.equal(list.logisticsMap[mainOrder.id].linkMan, '张三');
});

test('WeChat pay: unified order through the SDK, the payer confirms, the notify pays the order', async () => {
  await payByWeChat([mainOrder]);
  const d = ok(await WXAPI.orderDetail(buyer.token, mainOrder.id), 'orderDetail');
  assert.equal(d.orderInfo.status, 1);
  assert.equal(d.orderInfo.statusStr, '已支付待发货');
  assert.equal(d.goods.length, 2);
  move('count_id_no_pay', 'count_id_no_transfer');
  await checkBooks('after WeChat pay');
});

test('the merchant ships through the admin API; the shop restarts; nothing is lost', async () => {
  const denied = await fetch(SHOP + `/admin/orders/${mainOrder.id}/ship`, { method: 'POST' });
  assert.equal(denied.status, 401, 'admin API without the token');
  const r = await admin('POST', `/admin/orders/${mainOrder.id}/ship`, { shipperName: '顺丰速运', trackingNumber: 'SF1234567890' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.data.status, 2);
  move('count_id_no_transfer', 'count_id_no_confirm');
  await checkBooks('after shipping');

  if (await restartShop()) {
    code(await WXAPI.checkToken(buyer.token), 0, 'the token survives the restart');
    await checkBooks('after the restart');
  }
  const d = ok(await WXAPI.orderDetail(buyer.token, mainOrder.id), 'orderDetail');
  assert.equal(d.orderInfo.status, 2);
  assert.equal(d.logistics.trackingNumber, 'SF1234567890');
});

test('confirm receipt, then review (token inside postJsonString)', async () => {
  ok(await WXAPI.orderDelivery(buyer.token, mainOrder.id), 'orderDelivery');
  move('count_id_no_confirm', 'count_id_no_reputation');
  await checkBooks('after receipt');
  const d = ok(await WXAPI.orderDetail(buyer.token, mainOrder.id), 'orderDetail');
  assert.equal(d.orderInfo.status, 3);
  const postJsonString = JSON.stringify({
    token: buyer.token, orderId: mainOrder.id,
    reputations: d.goods.map((g) => ({ id: g.id, reputation: 2, reputationNumber: 5, remark: '很满意', pics: [] })),
  });
  ok(await WXAPI.orderReputation({ postJsonString }), 'orderReputation');
  move('count_id_no_reputation', 'count_id_success');
  await checkBooks('after the review');
  const after = ok(await WXAPI.orderDetail(buyer.token, mainOrder.id), 'orderDetail');
  assert.equal(after.orderInfo.status, 4);
  assert.deepEqual(after.logs.map((l) => l.typeStr), ['下单', '支付', '发货', '确认收货', '评价']);
  code(await WXAPI.orderReputation({ postJsonString }), 30000, 'a second review');
});

test('close and delete an unpaid order; the stock comes back', async () => {
  const before = ok(await WXAPI.goodsPrice(4, ''), 'price').stores;
  const o = ok(await WXAPI.orderCreate({ token: buyer.token, goodsJsonStr: goodsJson([[4, 2]]), ...address }), 'create');
  move(null, 'count_id_no_pay');
  assert.equal(ok(await WXAPI.goodsPrice(4, ''), 'price').stores, before - 2);
  ok(await WXAPI.orderClose(buyer.token, o.id), 'orderClose');
  move('count_id_no_pay', 'count_id_close');
  await checkBooks('after close');
  assert.equal(ok(await WXAPI.goodsPrice(4, ''), 'price').stores, before, 'stock restored at close');
  code(await WXAPI.orderPay(buyer.token, o.id), 30000, 'paying a closed order');
  code(await WXAPI.wxpay({ token: buyer.token, money: 79.8, nextAction: JSON.stringify({ type: 0, id: o.id }) }), 30000, 'WeChat-paying a closed order');
  ok(await WXAPI.orderDelete(buyer.token, o.id), 'orderDelete');
  move('count_id_close', null);
  await checkBooks('after delete');
  code(await WXAPI.orderDetail(buyer.token, o.id), 700, 'a deleted order is gone for the buyer');
  const all = await admin('GET', '/admin/orders');
  assert.ok(all.body.data.orders.some((x) => x.id === o.id && x.deleted), 'the merchant still sees it');
});

test('after-sales: apply → cancel → apply → the merchant approves → refund notify → done', async () => {
  const o = ok(await WXAPI.orderCreate({ token: buyer.token, goodsJsonStr: goodsJson([[3, 1], [2, 1]]), ...address }), 'create');
  assert.equal(o.amountReal, 197.5);
  move(null, 'count_id_no_pay');
  await payByWeChat([o]);
  move('count_id_no_pay', 'count_id_no_transfer');
  await checkBooks('refund order paid');
  const d = ok(await WXAPI.orderDetail(buyer.token, o.id), 'orderDetail');
  const cup = d.goods.find((g) => g.goodsId === 3);
  const beans = d.goods.find((g) => g.goodsId === 2);
  assert.equal(cup.afterSale, '0,1,2');

  const apply = (line, amount) => WXAPI.refundApply({
    token: buyer.token, orderId: o.id, orderGoodsId: line.id, type: 0, logisticsStatus: 0,
    reason: '不想要了', amount, number: line.number, remark: '', pic: '',
  });
  code(await apply(beans, 68.01), 300, 'a refund above what was paid');
  code(await WXAPI.refundApplyDetail(buyer.token, o.id), 700, 'no after-sale yet');
  ok(await apply(cup, cup.amountSingle * cup.number), 'refundApply');
  code(await apply(cup, 1), 20000, 'a second open after-sale of the line');
  let info = ok(await WXAPI.refundApplyDetail(buyer.token, o.id, cup.id), 'refundApplyDetail');
  assert.equal(info.length, 1);
  assert.equal(info[0].baseInfo.status, 0);
  assert.equal(info[0].baseInfo.amount, 129.5);
  assert.equal(ok(await WXAPI.orderDetail(buyer.token, o.id), 'detail').orderInfo.refundStatus, 1);

  ok(await WXAPI.refundApplyCancel(buyer.token, o.id, cup.id), 'refundApplyCancel');
  info = ok(await WXAPI.refundApplyDetail(buyer.token, o.id, cup.id), 'refundApplyDetail');
  assert.equal(info[0].baseInfo.status, 1, 'withdrawn');
  code(await WXAPI.refundApplyCancel(buyer.token, o.id, cup.id), 30000, 'nothing left to withdraw');

  ok(await apply(cup, 129.5), 'refundApply again');
  const applies = await admin('GET', '/admin/refund-applies?status=0');
  const mine = applies.body.data.applies.find((a) => a.baseInfo.orderId === o.id);
  assert.ok(mine, 'the merchant sees the application');
  const approved = await admin('POST', `/admin/refund-applies/${mine.baseInfo.id}/approve`);
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  assert.equal(approved.body.data.wxAmount, 129.5, 'refunded to the WeChat payment');
  await eventually('the refund notify', async () => {
    const i = ok(await WXAPI.refundApplyDetail(buyer.token, o.id, cup.id), 'refundApplyDetail');
    return i.some((a) => a.baseInfo.id === mine.baseInfo.id && a.baseInfo.status === 4);
  });
  const done = ok(await WXAPI.orderDetail(buyer.token, o.id), 'orderDetail');
  assert.equal(done.orderInfo.status, 1, 'a partly refunded order stays as it was');
  assert.equal(done.orderInfo.amountRefund, 129.5);
  assert.equal(done.orderInfo.refundStatus, 2);
  assert.equal(done.goods.find((g) => g.id === cup.id).refundStatus, 2);
  expected.consumed -= fen(129.5); // the money went back to WeChat, not to the balance
  await checkBooks('after the refund');
  assert.equal(ok(await WXAPI.orderRefunds(buyer.token, o.id), 'orderRefunds').length, 2);
  const refused = await admin('POST', `/admin/refund-applies/${mine.baseInfo.id}/refuse`);
  assert.equal(refused.status, 409, 'a completed application cannot be refused');

  // The rest of the order: the whole order refunded closes it.
  ok(await apply(beans, 68), 'refundApply beans');
  const b = (await admin('GET', '/admin/refund-applies?status=0')).body.data.applies.find((a) => a.baseInfo.orderId === o.id);
  assert.equal((await admin('POST', `/admin/refund-applies/${b.baseInfo.id}/approve`)).status, 200);
  await eventually('the second refund notify', async () =>
    ok(await WXAPI.orderDetail(buyer.token, o.id), 'orderDetail').orderInfo.status === -1);
  expected.consumed -= fen(68);
  move('count_id_no_transfer', 'count_id_close');
  await checkBooks('after the full refund');
});

test('balance: recharge, pay from the balance, 40000 with the shortfall, refund back to the balance', async () => {
  const pay = ok(await WXAPI.wxpay({ token: buyer.token, money: '50', remark: '充值', payName: '充值' }), 'recharge');
  await confirmPayment(pay.package, { throughShop: true });
  expected.balance += 5000;
  await checkBooks('after the recharge');

  const latte = ok(await WXAPI.orderCreate({ token: buyer.token, goodsJsonStr: goodsJson([[5, 1]]), peisongType: 'zq', isCanHx: true, extJsonStr: JSON.stringify({ 联系人: '李四', 联系电话: '13900000000' }) }), 'create pickup order');
  move(null, 'count_id_no_pay');
  assert.equal(latte.isNeedLogistics, false);
  assert.match(latte.hxNumber, /^\d{12}$/, 'a write-off code');
  ok(await WXAPI.orderPay(buyer.token, latte.id), 'orderPay');
  expected.balance -= 1880;
  expected.consumed += 1880;
  move('count_id_no_pay', 'count_id_no_transfer');
  await checkBooks('after the balance payment');

  const cup = ok(await WXAPI.orderCreate({ token: buyer.token, goodsJsonStr: goodsJson([[3, 1]]), ...address }), 'create');
  move(null, 'count_id_no_pay');
  const short = await WXAPI.orderPay(buyer.token, cup.id);
  code(short, 40000, 'balance too low');
  assert.equal(fen(short.data), 12950 - expected.balance, 'data is the shortfall');
  await checkBooks('after the refused payment');

  // Mixed: the page pays the difference through WeChat; the notify pays the
  // order from balance + money. A refund follows the money back.
  await payByWeChat([cup]);
  move('count_id_no_pay', 'count_id_no_transfer');
  await checkBooks('after the mixed payment');
  const line = ok(await WXAPI.orderDetail(buyer.token, cup.id), 'detail').goods[0];
  ok(await WXAPI.refundApply({ token: buyer.token, orderId: cup.id, orderGoodsId: line.id, type: 0, logisticsStatus: 0, reason: '买错了', amount: 129.5, number: 1 }), 'apply');
  const a = (await admin('GET', '/admin/refund-applies?status=0')).body.data.applies.find((x) => x.baseInfo.orderId === cup.id);
  const r = await admin('POST', `/admin/refund-applies/${a.baseInfo.id}/approve`);
  assert.equal(r.status, 200);
  assert.equal(fen(r.body.data.wxAmount) + fen(r.body.data.balanceAmount), 12950);
  await eventually('the refund', async () => ok(await WXAPI.orderDetail(buyer.token, cup.id), 'detail').orderInfo.status === -1);
  expected.balance += fen(r.body.data.balanceAmount);
  expected.consumed -= 12950;
  move('count_id_no_transfer', 'count_id_close');
  await checkBooks('after the mixed refund');

  // Write-off of the pickup order by staff.
  code(await WXAPI.orderHX(latte.hxNumber), 2000, 'orderHX without a token');
  code(await WXAPI.orderHXV2({ token: buyer.token, hxNumber: latte.hxNumber, extJsonStr: '' }), 403, 'write-off by a buyer');
  code(await WXAPI.orderHXV2({ token: staff.token, hxNumber: '000000000000', extJsonStr: '' }), 700, 'an unknown code');
  const seen = ok(await WXAPI.orderDetail(staff.token, '', latte.hxNumber), 'staff looks the code up');
  assert.equal(seen.orderInfo.id, latte.id);
  assert.equal(seen.extJson['联系人'], '李四');
  ok(await WXAPI.orderHXV2({ token: staff.token, hxNumber: latte.hxNumber, extJsonStr: '' }), 'orderHXV2');
  move('count_id_no_transfer', 'count_id_no_reputation');
  await checkBooks('after the write-off');
  code(await WXAPI.orderHXV2({ token: staff.token, hxNumber: latte.hxNumber, extJsonStr: '' }), 30000, 'a second write-off');
});

test('bad input gets its code and a message, never an error page', async () => {
  const t = buyer.token;
  code(await WXAPI.orderCreate({ goodsJsonStr: goodsJson([[1, 1, tshirt.sel]]) }), 2000, 'no token');
  code(await WXAPI.orderCreate({ token: 'bogus', goodsJsonStr: goodsJson([[1, 1, tshirt.sel]]) }), 2000, 'bad token');
  code(await WXAPI.orderList({ token: '' }), 2000, 'orderList without a token');
  code(await WXAPI.userAmount('bogus'), 2000, 'userAmount with a bad token');
  code(await WXAPI.orderCreate({ token: t, goodsJsonStr: goodsJson([[9999, 1]]), calculate: true }), 700, 'unknown goods');
  code(await WXAPI.orderCreate({ token: t, goodsJsonStr: goodsJson([[2, 0]]), calculate: true }), 300, 'quantity 0');
  code(await WXAPI.orderCreate({ token: t, goodsJsonStr: goodsJson([[2, -1]]), ...address }), 300, 'negative quantity');
  code(await WXAPI.orderCreate({ token: t, goodsJsonStr: goodsJson([[1, 1]]), calculate: true }), 300, 'no SKU chosen');
  code(await WXAPI.orderCreate({ token: t, goodsJsonStr: goodsJson([[4, 11]]), ...address }), 30000, 'stock exhausted');
  code(await WXAPI.orderCreate({ token: t, goodsJsonStr: 'not json' }), 300, 'malformed goodsJsonStr');
  code(await WXAPI.orderCreate({ token: t, goodsJsonStr: goodsJson([[2, 1]]) }), 300, 'courier order without an address');
  code(await WXAPI.wxpay({ token: t, money: 'abc' }), 300, 'money that is not an amount');
  code(await WXAPI.wxpay({ token: t, money: 0 }), 300, 'zero money');
  code(await WXAPI.orderPay(t, 999999), 700, 'paying an unknown order');
  code(await WXAPI.orderClose(t, mainOrder.id), 30000, 'closing a finished order');
  code(await request('/no/such/api', true, 'post', { token: t }), 404, 'unknown API');
  await checkBooks('after the bad input');
});

test('the order list filters as the tabs do', async () => {
  const all = ok(await WXAPI.orderList({ token: buyer.token, status: '' }), 'all');
  assert.equal(all.orderList.length, Object.keys(all.goodsMap).length);
  const total = Object.values(expected.stats).reduce((a, b) => a + b, 0);
  assert.equal(all.totalRow, total, 'every visible order is counted once');
  const refunds = ok(await WXAPI.orderList({ token: buyer.token, hasRefund: true }), 'hasRefund');
  assert.equal(refunds.orderList.length, 2);
  const batch = ok(await WXAPI.orderList({ token: buyer.token, statusBatch: '3,4' }), 'statusBatch');
  assert.equal(batch.orderList.length, expected.stats.count_id_no_reputation + expected.stats.count_id_success);
});

test.after(() => {
  console.log(`# ${sent.length} api工厂 calls made through apifm-wxapi's request hook`);
});
